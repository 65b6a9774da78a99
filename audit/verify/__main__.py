"""``python -m audit.verify FILE.zip ...``: see :mod:`audit.verify.cli`."""

from __future__ import annotations

import sys

from audit.verify.cli import main

if __name__ == "__main__":  # importing it (a test walking every module) runs nothing
    sys.exit(main())
