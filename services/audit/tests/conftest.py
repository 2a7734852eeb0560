"""Fixtures for the audit service's unit tests: a chain of real encoded events, and this folder on sys.path.

pytest runs in importlib mode, which puts no test folder on sys.path; the contract module here
(audit_log_contract) is imported by name, by these tests and by tests/integration."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from suara_audit.adapters.audit_log import InMemoryAuditLog
from suara_audit.domain.chain import ChainEntry

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture
def chain() -> list[ChainEntry]:
    """Five entries of one complaint's events (sequences 1 to 5), chained by the in-memory log."""
    from audit_log_contract import APPENDED_AT, received

    log = InMemoryAuditLog()
    complaint_id = str(uuid.uuid4())
    for sequence in range(1, 6):
        log.append(received(sequence, complaint_id=complaint_id, offset=9 + sequence), APPENDED_AT)
    return list(log.entries())
