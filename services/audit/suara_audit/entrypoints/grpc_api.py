"""AuditService over gRPC: checkpoints, proofs, receipts, the export bundle, erasure.

Errors map to status codes in one place (`_status`): bad arguments INVALID_ARGUMENT naming the field, what is not
in the log NOT_FOUND, store outages UNAVAILABLE.
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

log = logging.getLogger(__name__)
R = TypeVar("R")

_STATUS: list[tuple[type[BaseException], grpc.StatusCode]] = [
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (PyMongoError, grpc.StatusCode.UNAVAILABLE),
    (StoreIncomplete, grpc.StatusCode.DATA_LOSS),
]
_MAPPED = tuple(t for t, _ in _STATUS)


def authorize_auditor(context: grpc.ServicerContext) -> None:
    """The one place where a caller must be shown to hold the auditor role.

    TODO(issue 5): authenticated identity and roles arrive with the lifecycle work; check the caller's role here
    (PERMISSION_DENIED naming the role) once they do. Until then every caller is served, as before."""


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
        authorize_auditor(context)
        checkpoint = self._queries.checkpoint(request.tree_size or None)
        return api.Checkpoint(tree_size=checkpoint.size, root_hash=checkpoint.root, note=checkpoint.note)

    @_status
    def GetInclusionProof(
        self, request: api.GetInclusionProofRequest, context: grpc.ServicerContext
    ) -> api.InclusionProof:
        authorize_auditor(context)
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
        authorize_auditor(context)
        size2, hashes = self._queries.consistency_proof(request.size1, request.size2 or None)
        return api.ConsistencyProof(size1=request.size1, size2=size2, hashes=hashes)

    @_status
    def GetReceipt(self, request: api.GetReceiptRequest, context: grpc.ServicerContext) -> api.Receipt:
        authorize_auditor(context)
        leaf, proof = self._queries.receipt(request.event_id)
        return api.Receipt(index=leaf.index, tlog_proof=proof, leaf=leaf.data)

    @_streaming_status
    def ExportBundle(
        self, request: api.ExportBundleRequest, context: grpc.ServicerContext
    ) -> Iterator[api.BundleChunk]:
        authorize_auditor(context)
        for piece in self._queries.export(request.since_tree_size):
            yield api.BundleChunk(path=piece.path, data=piece.data)

    @_status
    def EraseDisclosures(
        self, request: api.EraseDisclosuresRequest, context: grpc.ServicerContext
    ) -> api.EraseDisclosuresResponse:
        authorize_auditor(context)  # TODO(issue 5): erasure is a data-protection officer's act, not an auditor's
        erased = self._queries.erase(request.complaint_id)
        log.info("erased %d disclosures", erased, extra={"complaint_id": request.complaint_id})
        return api.EraseDisclosuresResponse(erased=erased)


def audit_service(servicer: AuditServicer) -> Service:
    return Service(
        full_name=api.DESCRIPTOR.services_by_name["AuditService"].full_name,
        register=lambda server: api_grpc.add_AuditServiceServicer_to_server(servicer, server),
    )
