"""`python3 -m tui [LESSON]`: the terminal lab, the same as `hvlab tui`."""

import sys

from tui.app import main

sys.exit(main())
