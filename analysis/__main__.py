"""``python -m analysis`` is the ``jakala`` command."""

import sys

from analysis.cli import main

sys.exit(main())
