"""``python -m audit.verify FILE.zip ...``: see :mod:`audit.verify.cli`."""

from __future__ import annotations

import sys

from audit.verify.cli import main

sys.exit(main())
