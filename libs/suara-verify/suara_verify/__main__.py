"""``python -m suara_verify`` runs the command line."""

import sys

from suara_verify.cli import main

sys.exit(main())
