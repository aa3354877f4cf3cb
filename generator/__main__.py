"""`python -m generator` runs the broadsheet command."""

import sys

from .cli import main

sys.exit(main())
