"""AuditService over gRPC: checkpoints, proofs, receipts, the export bundle, erasure.

Every call is authenticated by the AuthInterceptor (bootstrap.py); each RPC then checks the caller's role here
(docs/audit/access.md): the log is read by auditors and the coordinator; a receipt also by the integrator that
submitted the complaint; erasure is the coordinator's. A denial raises AccessDenied, which the interceptor answers
with PERMISSION_DENIED naming the caller's role and scope. Errors map to status codes in one place (`_status`): bad
arguments INVALID_ARGUMENT naming the field, what is not in the log NOT_FOUND, store outages UNAVAILABLE.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import grpc
from pymongo.errors import PyMongoError

from suara.v1 import audit_pb2 as api
from suara.v1 import audit_pb2_grpc as api_grpc
from suara_audit.handlers import AuditQueries, InvalidRequest, NotFound, StoreIncomplete
from suara_kit.grpc_server import Service
from suara_kit.identity import AccessDenied, Principal, Role, current_principal, require

log = logging.getLogger(__name__)
R = TypeVar("R")

_STATUS: list[tuple[type[BaseException], grpc.StatusCode]] = [
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (PyMongoError, grpc.StatusCode.UNAVAILABLE),
    (StoreIncomplete, grpc.StatusCode.DATA_LOSS),
]
_MAPPED = tuple(t for t, _ in _STATUS)


# Who reads the integrity log: Inspektorat's auditors, and the coordinator (Diskominfo runs the system).
READERS = (Role.AUDITOR, Role.COORDINATOR)
# A receipt is a citizen's proof: the integrator that submitted the complaint may fetch it to hand it on.
RECEIPT_READERS = (*READERS, Role.INTEGRATOR)
# Erasing personal data is a data-protection act. The coordinator holds it until the city names a data-protection
# officer with a role of their own (docs/audit/access.md).
ERASERS = (Role.COORDINATOR,)


def authorize_auditor(action: str) -> Principal:
    """The caller reads the integrity log (an auditor or the coordinator), else AccessDenied naming its role."""
    return require(current_principal(), READERS, action=action)


def authorize_receipt(queries: AuditQueries, event_id: str) -> Principal:
    """An auditor or the coordinator; or the integrator that submitted the event's complaint, as the log recorded
    it (an integrator's check reads the log: NotFound when the event is not in it)."""
    principal = require(current_principal(), RECEIPT_READERS, action="a receipt")
    if principal.role is not Role.INTEGRATOR:
        return principal
    submitter = queries.submitted_by(event_id)
    if submitter is None:
        raise AccessDenied(
            f"a receipt of event {event_id} is for auditors and the coordinator: the log shows no integrator's"
            f" submission of its complaint; you are {principal.scope}"
        )
    return require(principal, RECEIPT_READERS, integrator_id=submitter, action=f"a receipt of event {event_id}")


def authorize_erasure() -> Principal:
    return require(current_principal(), ERASERS, action="erasing a complaint's disclosures")


def _abort(context: grpc.ServicerContext, error: BaseException) -> NoReturn:
    code = next(c for t, c in _STATUS if isinstance(error, t))
    if code is grpc.StatusCode.UNAVAILABLE:
        log.warning("audit store unavailable: %s", error)
        context.abort(code, "the audit store is unavailable; retry later")
    context.abort(code, str(error))
    raise AssertionError("grpc abort() returned")  # it raises, always


def _status(method: Callable[..., R]) -> Callable[..., R]:
    @functools.wraps(method)
    def wrapped(self: Any, request: Any, context: grpc.ServicerContext) -> R:
        try:
            return method(self, request, context)
        except _MAPPED as error:
            _abort(context, error)

    return wrapped


def _streaming_status(method: Callable[..., Iterator[R]]) -> Callable[..., Iterator[R]]:
    @functools.wraps(method)
    def wrapped(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[R]:
        try:
            yield from method(self, request, context)
        except _MAPPED as error:
            _abort(context, error)

    return wrapped


class AuditServicer(api_grpc.AuditServiceServicer):
    def __init__(self, queries: AuditQueries) -> None:
        self._queries = queries

    @_status
    def GetCheckpoint(self, request: api.GetCheckpointRequest, context: grpc.ServicerContext) -> api.Checkpoint:
        authorize_auditor("reading the audit log's checkpoints")
        checkpoint = self._queries.checkpoint(request.tree_size or None)
        return api.Checkpoint(tree_size=checkpoint.size, root_hash=checkpoint.root, note=checkpoint.note)

    @_status
    def GetInclusionProof(
        self, request: api.GetInclusionProofRequest, context: grpc.ServicerContext
    ) -> api.InclusionProof:
        authorize_auditor("reading the audit log's proofs")
        which = request.WhichOneof("leaf")
        if which is None:
            raise InvalidRequest("leaf", "give index or event_id")
        index = request.index if which == "index" else self._queries.index_of(request.event_id)
        size, hashes = self._queries.inclusion_proof(index, request.tree_size or None)
        leaf = self._queries.leaf(index)
        return api.InclusionProof(index=index, tree_size=size, hashes=hashes, leaf=leaf.data)

    @_status
    def GetConsistencyProof(
        self, request: api.GetConsistencyProofRequest, context: grpc.ServicerContext
    ) -> api.ConsistencyProof:
        authorize_auditor("reading the audit log's proofs")
        size2, hashes = self._queries.consistency_proof(request.size1, request.size2 or None)
        return api.ConsistencyProof(size1=request.size1, size2=size2, hashes=hashes)

    @_status
    def GetReceipt(self, request: api.GetReceiptRequest, context: grpc.ServicerContext) -> api.Receipt:
        authorize_receipt(self._queries, request.event_id)
        leaf, proof = self._queries.receipt(request.event_id)
        return api.Receipt(index=leaf.index, tlog_proof=proof, leaf=leaf.data)

    @_streaming_status
    def ExportBundle(
        self, request: api.ExportBundleRequest, context: grpc.ServicerContext
    ) -> Iterator[api.BundleChunk]:
        authorize_auditor("exporting the audit log")
        for piece in self._queries.export(request.since_tree_size):
            yield api.BundleChunk(path=piece.path, data=piece.data)

    @_status
    def EraseDisclosures(
        self, request: api.EraseDisclosuresRequest, context: grpc.ServicerContext
    ) -> api.EraseDisclosuresResponse:
        authorize_erasure()
        erased = self._queries.erase(request.complaint_id)
        log.info("erased %d disclosures", erased, extra={"complaint_id": request.complaint_id})
        return api.EraseDisclosuresResponse(erased=erased)


def audit_service(servicer: AuditServicer) -> Service:
    return Service(
        full_name=api.DESCRIPTOR.services_by_name["AuditService"].full_name,
        register=lambda server: api_grpc.add_AuditServiceServicer_to_server(servicer, server),
    )
