"""Test setup: make the test-only bundle writer importable, and register the marker of the slow checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: builds a fresh virtual environment or a 100,000-entry bundle")
