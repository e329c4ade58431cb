"""`python -m hvlab ...`: the same as the `hvlab` command."""

import sys

from hvlab.cli import main

sys.exit(main())
