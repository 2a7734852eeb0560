"""The in-memory audit log keeps the same contract as the MongoDB one (see audit_log_contract.py)."""

from __future__ import annotations

import pytest
from audit_log_contract import AuditLogContract

from suara_audit.adapters.audit_log import AuditLog, InMemoryAuditLog


class TestInMemoryAuditLog(AuditLogContract):
    @pytest.fixture
    def audit_log(self) -> AuditLog:
        return InMemoryAuditLog()
