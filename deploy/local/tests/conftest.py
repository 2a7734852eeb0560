"""The runner is not an installed package: put deploy/local on the path for its tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
