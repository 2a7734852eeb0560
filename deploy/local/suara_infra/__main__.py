"""python -m suara_infra infra|stack COMMAND ..."""

import sys

from .cli import main

sys.exit(main())
