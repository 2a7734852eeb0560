"""Fixtures for the CLI's unit tests: an audit log on in-memory stores, served over gRPC on localhost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from audit_log_fixture import Log
from events import complaints

from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_kit.grpc_server import start_server


@pytest.fixture
def audit_log() -> Log:
    """Two complaints' events (6 entries) and a checkpoint at 6."""
    log = Log()
    assert log.sequencer.acquire()
    log.sequencer.append(complaints(2))
    log.sign_now()
    return log


@pytest.fixture
def audit_address(audit_log: Log) -> Iterator[str]:
    running = start_server("127.0.0.1:0", [audit_service(AuditServicer(audit_log.queries))], max_workers=2)
    yield f"127.0.0.1:{running.port}"
    running.stop(grace_seconds=0)
