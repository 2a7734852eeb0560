"""Fixtures for the audit service's unit tests, and this folder on sys.path.

pytest runs in importlib mode, which puts no test folder on sys.path; the contract module here (store_contract)
and the event factory (events) are imported by name, by these tests and by tests/integration."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
