"""``python -m podbor``: the same as the ``podbor`` command (see :mod:`podbor.cli`)."""

import sys

from podbor.cli import main

if __name__ == "__main__":
    sys.exit(main())
