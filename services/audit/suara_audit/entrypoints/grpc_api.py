"""AuditService over gRPC: streams the chain for export."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from suara.v1 import audit_pb2 as api
from suara.v1 import audit_pb2_grpc as api_grpc
from suara_audit.adapters.audit_log import AuditLog
from suara_kit.grpc_server import Service


class AuditServicer(api_grpc.AuditServiceServicer):
    def __init__(self, audit_log: AuditLog) -> None:
        self._log = audit_log

    def ExportAuditLog(
        self, request: api.ExportAuditLogRequest, context: grpc.ServicerContext
    ) -> Iterator[api.AuditEntry]:
        for entry in self._log.entries(max(1, request.from_position), request.limit):
            appended_at = Timestamp()
            appended_at.FromDatetime(entry.appended_at)
            yield api.AuditEntry(
                position=entry.position,
                record=entry.record,
                previous_hash=entry.previous_hash,
                entry_hash=entry.entry_hash,
                event_id=entry.index.event_id,
                complaint_id=entry.index.complaint_id,
                sequence=entry.index.sequence,
                event_type=entry.index.event_type,
                appended_at=appended_at,
                topic=entry.topic,
                partition=entry.partition,
                offset=entry.offset,
            )


def audit_service(servicer: AuditServicer) -> Service:
    return Service(
        full_name=api.DESCRIPTOR.services_by_name["AuditService"].full_name,
        register=lambda server: api_grpc.add_AuditServiceServicer_to_server(servicer, server),
    )
