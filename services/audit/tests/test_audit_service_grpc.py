"""AuditService in-process: the chain streamed over a real gRPC channel on localhost."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from audit_log_contract import APPENDED_AT, received

from suara.v1 import audit_pb2 as api
from suara.v1 import audit_pb2_grpc as api_grpc
from suara_audit.adapters.audit_log import InMemoryAuditLog
from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_kit.grpc_server import start_server


@pytest.fixture
def audit_log() -> InMemoryAuditLog:
    log = InMemoryAuditLog()
    for offset in range(4):
        log.append(received(offset=offset), APPENDED_AT)
    return log


@pytest.fixture
def stub(audit_log) -> Iterator[api_grpc.AuditServiceStub]:
    running = start_server("127.0.0.1:0", [audit_service(AuditServicer(audit_log))], max_workers=2)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield api_grpc.AuditServiceStub(channel)
    finally:
        running.stop(grace_seconds=0)


def test_the_export_streams_every_entry_with_all_its_fields(stub, audit_log) -> None:
    streamed = list(stub.ExportAuditLog(api.ExportAuditLogRequest(from_position=1), timeout=10))

    assert [e.position for e in streamed] == [1, 2, 3, 4]
    for message, entry in zip(streamed, audit_log.entries(), strict=True):
        assert message.record == entry.record
        assert (message.previous_hash, message.entry_hash) == (entry.previous_hash, entry.entry_hash)
        assert (message.event_id, message.complaint_id) == (entry.index.event_id, entry.index.complaint_id)
        assert (message.sequence, message.event_type) == (entry.index.sequence, entry.index.event_type)
        assert (message.topic, message.partition, message.offset) == (entry.topic, entry.partition, entry.offset)
        assert message.appended_at.ToDatetime().isoformat() == "2026-11-20T09:00:01.250000"


def test_the_export_starts_at_from_position_and_honours_the_limit(stub) -> None:
    streamed = stub.ExportAuditLog(api.ExportAuditLogRequest(from_position=2, limit=2), timeout=10)

    assert [e.position for e in streamed] == [2, 3]


def test_an_export_from_position_0_starts_at_1(stub) -> None:
    streamed = stub.ExportAuditLog(api.ExportAuditLogRequest(), timeout=10)

    assert [e.position for e in streamed] == [1, 2, 3, 4]
