"""CaseworkService over gRPC: thin. Each command RPC turns the verified caller and the request into the aggregate's
command, runs it through the one write path (ComplaintStore.execute) and answers the new version, or the refusal
with the status code the aggregate's refusal kind maps to. Queries are in queries.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

import grpc

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara_casework import commands as m
from suara_complaint import Actor, RefusalKind
from suara_complaint import commands as c
from suara_complaint.commands import Command
from suara_kit import deadline
from suara_kit.complaints import ComplaintStore, Outcome, Refused, TooManyConflicts
from suara_kit.grpc_server import Service
from suara_kit.identity import Principal, current_principal
from suara_kit.mongo import store_unavailable

log = logging.getLogger(__name__)

CODES: dict[RefusalKind, grpc.StatusCode] = {
    RefusalKind.ILLEGAL_TRANSITION: grpc.StatusCode.FAILED_PRECONDITION,
    RefusalKind.STALE_VERSION: grpc.StatusCode.ABORTED,
    RefusalKind.OUT_OF_SCOPE: grpc.StatusCode.PERMISSION_DENIED,
    RefusalKind.INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    RefusalKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    RefusalKind.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
}
# Of the call's deadline, the share the work may take; and the most any call may take (callers without a deadline).
DEADLINE_SHARE = 0.8
MAX_BUDGET_S = 15.0
Rpc = TypeVar("Rpc", bound=Callable[..., Any])


def answered(rpc: Rpc) -> Rpc:
    """Run the RPC within the caller's deadline; the store unreachable or too slow -> UNAVAILABLE (retry with the
    same key); a malformed field -> INVALID_ARGUMENT naming it."""

    @functools.wraps(rpc)
    def answer(self: object, request: object, context: grpc.ServicerContext) -> object:
        left = context.time_remaining()
        budget = MAX_BUDGET_S if left is None else min(left * DEADLINE_SHARE, MAX_BUDGET_S)
        try:
            with deadline.bounded(budget):
                return rpc(self, request, context)
        except m.BadRequest as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except Exception as error:
            if not (store_unavailable(error) or isinstance(error, TooManyConflicts)):
                raise
            log.warning("%s: unavailable: %s", rpc.__name__, type(error).__name__)
            context.abort(
                grpc.StatusCode.UNAVAILABLE,
                f"the store is unavailable or busy ({type(error).__name__}); retry with the same idempotency_key",
            )
        raise AssertionError("not reached: abort raises")

    return cast(Rpc, answer)


def refusal_message(refused: Refused) -> str:
    r = refused.refusal
    if r.kind is RefusalKind.STALE_VERSION:
        return r.message if f"version {r.version}" in r.message else f"{r.message} (current version {r.version})"
    if r.kind is RefusalKind.ILLEGAL_TRANSITION:
        return f"{r.message} (status {r.status}, rule {r.rule})"
    if r.kind is RefusalKind.OUT_OF_SCOPE:
        return f"{r.message} (role {r.role}, scope {r.scope})"
    return r.message


class CommandRpcs(api_grpc.CaseworkServiceServicer):
    def __init__(self, store: ComplaintStore) -> None:
        self._store = store

    def _run(
        self,
        context: grpc.ServicerContext,
        header: api.CommandHeader,
        build: Callable[[dict[str, Any]], Command],
    ) -> api.CommandReply:
        principal = current_principal()
        common = {
            "complaint_id": m.complaint_id(header.complaint_id),
            "actor": m.actor_of(principal),
            "idempotency_key": m.scoped_key(principal, header.idempotency_key),
            "expected_version": m.expected_version(header.expected_version),
        }
        command = build(common)
        try:
            outcome = self._store.execute(command, display_name=principal.display_name)
        except Refused as refused:
            _log_refusal(principal, command, refused)
            context.abort(CODES[refused.refusal.kind], refusal_message(refused))
        return _reply(outcome)

    # --- coordinator ---------------------------------------------------------------------------------------------

    @answered
    def Verify(self, request: api.VerifyRequest, context: grpc.ServicerContext) -> api.CommandReply:
        kind = m.resolution_kind(request.kind)
        return self._run(context, request.header, lambda h: c.Verify(**h, kind=kind))

    @answered
    def RequestInfo(self, request: api.RequestInfoRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.RequestInfo(**h, question=request.question))

    @answered
    def Dispatch(self, request: api.DispatchRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Dispatch(**h, opd=request.opd, reason=request.reason))

    @answered
    def Redispatch(self, request: api.DispatchRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Redispatch(**h, opd=request.opd, reason=request.reason))

    @answered
    def MarkDuplicate(self, request: api.MarkDuplicateRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(
            context,
            request.header,
            lambda h: c.MarkDuplicate(**h, duplicate_of=request.duplicate_of, reason=request.reason),
        )

    @answered
    def Archive(self, request: api.ReasonRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Archive(**h, reason=request.reason))

    @answered
    def Escalate(self, request: api.EscalateRequest, context: grpc.ServicerContext) -> api.CommandReply:
        level = m.escalation_level(request.level)
        return self._run(context, request.header, lambda h: c.Escalate(**h, reason=request.reason, level=level))

    @answered
    def DecideOwner(self, request: api.DecideOwnerRequest, context: grpc.ServicerContext) -> api.CommandReply:
        final = request.final if request.HasField("final") else True
        return self._run(
            context,
            request.header,
            lambda h: c.DecideOwner(**h, opd=request.opd, reason=request.reason, final=final),
        )

    # --- OPD officer and head ------------------------------------------------------------------------------------

    @answered
    def Acknowledge(self, request: api.CommandHeader, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request, lambda h: c.Acknowledge(**h))

    @answered
    def Assign(self, request: api.AssignRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Assign(**h, officer=request.officer))

    @answered
    def PostFollowUp(self, request: api.TextRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.PostFollowUp(**h, text=request.text))

    @answered
    def HandBack(self, request: api.HandBackRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(
            context,
            request.header,
            lambda h: c.HandBack(**h, reason=request.reason, suggested_opd=request.suggested_opd),
        )

    @answered
    def Resolve(self, request: api.TextRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Resolve(**h, resolution=request.text))

    # --- the citizen, through its integrator ---------------------------------------------------------------------

    @answered
    def AddInfo(self, request: api.TextRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.AddInfo(**h, text=request.text))

    @answered
    def ConfirmResolved(self, request: api.CommandHeader, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request, lambda h: c.ConfirmResolved(**h))

    @answered
    def Reopen(self, request: api.ReasonRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Reopen(**h, reason=request.reason))

    @answered
    def Rate(self, request: api.RateRequest, context: grpc.ServicerContext) -> api.CommandReply:
        return self._run(context, request.header, lambda h: c.Rate(**h, score=request.score, comment=request.comment))


def _reply(outcome: Outcome) -> api.CommandReply:
    return api.CommandReply(
        complaint_id=outcome.complaint_id,
        version=outcome.version,
        status=outcome.status.value,
        event_types=[e.event_type for e in outcome.recorded],
        event_ids=[e.event_id for e in outcome.recorded],
    )


def _log_refusal(principal: Principal, command: Command, refused: Refused) -> None:
    actor: Actor = command.actor
    log.info(
        "refused %s on %s for %s (%s): %s",
        command.type_name(),
        command.complaint_id,
        principal.subject,
        actor.scope,
        refused.refusal.rule,
    )


def casework_service(servicer: api_grpc.CaseworkServiceServicer) -> Service:
    return Service(
        full_name=api.DESCRIPTOR.services_by_name["CaseworkService"].full_name,
        register=lambda server: api_grpc.add_CaseworkServiceServicer_to_server(servicer, server),
    )
