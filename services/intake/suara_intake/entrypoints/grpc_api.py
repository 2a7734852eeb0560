"""ComplaintService over gRPC: translates protobuf to commands and domain errors to status codes, in one place."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

import grpc
from google.protobuf import message as pb_message

from suara.v1 import complaints_pb2 as api
from suara.v1 import complaints_pb2_grpc as api_grpc
from suara.v1 import events_pb2 as pb
from suara_complaint import Policy
from suara_intake.adapters.timeline import TimelineView
from suara_intake.domain.model import IdempotencyKeyReused, InvalidComplaint, ReporterContact, SubmitComplaint
from suara_intake.handlers import ComplaintNotFound, Receipt
from suara_kit import codec, deadline
from suara_kit.codec import channel_from_proto
from suara_kit.complaint_stream import held_by, lifecycle_events
from suara_kit.events import SourceChannel
from suara_kit.grpc_server import Service
from suara_kit.identity import Principal, Role, current_principal, may_see, require
from suara_kit.mongo import store_unavailable

log = logging.getLogger(__name__)


# The one mapping of errors to gRPC status codes, with `status_for`. The store being unreachable, going away or too
# slow for the call's deadline (suara_kit.mongo.store_unavailable) is answered UNAVAILABLE, which gRPC clients treat
# as "retry". Kafka is not here: a submit only appends to the store, and the relay publishes, so a
# broker outage delays events, not answers.
STATUS_FOR: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (InvalidComplaint, grpc.StatusCode.INVALID_ARGUMENT),
    (IdempotencyKeyReused, grpc.StatusCode.ALREADY_EXISTS),
    (ComplaintNotFound, grpc.StatusCode.NOT_FOUND),
)


def status_for(error: Exception) -> grpc.StatusCode | None:
    """The status a caller is told for `error`, or None for an error nobody expected (it surfaces as UNKNOWN)."""
    if store_unavailable(error):
        return grpc.StatusCode.UNAVAILABLE
    return next((code for kind, code in STATUS_FOR if isinstance(error, kind)), None)


UNAVAILABLE_ADVICE = {
    "SubmitComplaint": "retry with the same idempotency_key (the complaint may already be recorded; "
    "a retry with the same key never records it twice)",
    "TraceComplaint": "retry shortly",
}
# Of the call's deadline, the share the work may take; the rest carries the answer back.
DEADLINE_SHARE = 0.8
# The most any call may take, and what a caller that sets no deadline gets, so that an outage is still answered
# (UNAVAILABLE) rather than hung. gRPC reports "no deadline" as an enormous time_remaining(), which no timer
# downstream can represent.
MAX_BUDGET_S = 15.0
# Who held a complaint does not depend on deadline budgets: the default policy reads the stream for that.
TRACE_POLICY = Policy()
Rpc = TypeVar("Rpc", bound=Callable[..., Any])


def domain_errors_as_status(rpc: Rpc) -> Rpc:
    """Run the RPC within its caller's deadline and answer any error in STATUS_FOR with its status code."""

    @functools.wraps(rpc)
    def answer(self: object, request: object, context: grpc.ServicerContext) -> object:
        left = context.time_remaining()
        budget = MAX_BUDGET_S if left is None else min(left * DEADLINE_SHARE, MAX_BUDGET_S)
        try:
            with deadline.bounded(budget):
                return rpc(self, request, context)
        except Exception as error:
            code = status_for(error)
            if code is None:
                raise
            if code is grpc.StatusCode.UNAVAILABLE:
                what = "the store"  # the only infrastructure a call waits on (the relay publishes to Kafka)
                log.warning("%s: %s unavailable: %s", rpc.__name__, what, type(error).__name__)
                advice = UNAVAILABLE_ADVICE[rpc.__name__]
                context.abort(code, f"{what} is unavailable ({type(error).__name__}); {advice}")
            context.abort(code, str(error))
            raise  # not reached: abort raises

    return cast(Rpc, answer)


class ComplaintServicer(api_grpc.ComplaintServiceServicer):
    def __init__(
        self,
        submit: Callable[[SubmitComplaint, str], Receipt],
        trace: Callable[[str], TimelineView],
    ) -> None:
        self._submit = submit
        self._trace = trace

    @domain_errors_as_status
    def SubmitComplaint(
        self, request: api.SubmitComplaintRequest, context: grpc.ServicerContext
    ) -> api.SubmitComplaintResponse:
        client_id = submitter(current_principal())
        request_id = str(uuid.uuid4())
        command = SubmitComplaint(
            idempotency_key=request.idempotency_key,
            text=request.text,
            category=request.category,
            kelurahan=request.kelurahan,
            source_channel=_channel(request.source_channel),
            anonymous=request.anonymous,
            reporter=_reporter(request),
            submitted_by=client_id,
        )
        receipt = self._submit(command, request_id)
        log.info(
            "complaint submitted" if not receipt.replayed else "complaint re-submitted (idempotent replay)",
            extra={"complaint_id": receipt.complaint_id, "correlation_id": request_id},
        )
        return api.SubmitComplaintResponse(
            complaint_id=receipt.complaint_id, tracking_number=receipt.tracking_number, replayed=receipt.replayed
        )

    @domain_errors_as_status
    def TraceComplaint(
        self, request: api.TraceComplaintRequest, context: grpc.ServicerContext
    ) -> api.TraceComplaintResponse:
        if not request.reference.strip():
            raise InvalidComplaint("reference", "required (a complaint id or tracking number)")
        view = self._trace(request.reference)
        if not _visible_to(current_principal(), view):
            # OPD staff see what their OPD holds or held, an integrator its own submissions; anything else is
            # answered as if it did not exist.
            raise ComplaintNotFound(request.reference)
        response = api.TraceComplaintResponse(complaint_id=view.complaint_id, tracking_number=view.tracking_number)
        for entry in view.entries:
            envelope = response.events.add()
            try:
                envelope.ParseFromString(entry.data)
            except pb_message.DecodeError:  # the projector only stores decodable events; be loud if not
                log.error("undecodable event in the timeline", extra={"event_id": entry.event_id})
                raise
        return response


def submitter(principal: Principal) -> str:
    """Who submits, from the verified token only (no header the caller sets): an integrator, by its integrator id.
    A desk that takes walk-ins submits through its own integrator client, like every other door."""
    require(principal, [Role.INTEGRATOR], action="SubmitComplaint")
    assert principal.integrator_id is not None  # a Principal in role integrator always has one
    return principal.integrator_id


def _visible_to(principal: Principal, view: TimelineView) -> bool:
    events = [codec.decode(entry.data) for entry in view.entries]
    first = next((e for e in events if e.sequence == 1), None)
    submitted_by = first.actor.id if first is not None else ""
    return may_see(principal, submitted_by, held_by(lifecycle_events(events, TRACE_POLICY)))


def _channel(value: int) -> SourceChannel | None:
    if value == pb.SOURCE_CHANNEL_UNSPECIFIED:
        return None
    try:
        return channel_from_proto(value)
    except ValueError:
        raise InvalidComplaint("source_channel", f"unknown value {value}") from None


def _reporter(request: api.SubmitComplaintRequest) -> ReporterContact | None:
    if not request.HasField("reporter"):
        return None
    r = request.reporter
    return ReporterContact(name=r.name.strip(), phone=r.phone.strip(), email=r.email.strip())


def complaint_service(servicer: ComplaintServicer) -> Service:
    return Service(
        full_name=api.DESCRIPTOR.services_by_name["ComplaintService"].full_name,
        register=lambda server: api_grpc.add_ComplaintServiceServicer_to_server(servicer, server),
    )
