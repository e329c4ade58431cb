"""`python3 -m hvlab.generate [--check]`: see hvlab.generate."""

import sys

from hvlab.generate import main

sys.exit(main(sys.argv[1:]))
