"""ComplaintService in-process: a real gRPC server and channel on localhost, intake wired to fakes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from suara.v1 import complaints_pb2 as api
from suara.v1 import complaints_pb2_grpc as api_grpc
from suara.v1 import events_pb2 as pb
from suara_intake import bootstrap
from suara_intake.entrypoints import grpc_api
from suara_intake.entrypoints.grpc_api import ComplaintServicer, complaint_service
from suara_kit import codec, deadline
from suara_kit.events import Actor, ActorKind, ComplaintRouted, Event, Priority
from suara_kit.grpc_server import RunningServer, start_server
from suara_kit.journal import InMemoryJournal

SERVICE_NAME = "suara.v1.ComplaintService"


@pytest.fixture
def server(wired, auth) -> Iterator[RunningServer]:
    running = start_server(
        "127.0.0.1:0",
        [complaint_service(ComplaintServicer(wired.intake.submit, wired.intake.trace))],
        max_workers=4,
        interceptors=[auth],
    )
    yield running
    running.stop(grace_seconds=0)


@pytest.fixture
def channel(server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as open_channel:
        yield open_channel


@pytest.fixture
def stub(channel, as_user) -> api_grpc.ComplaintServiceStub:
    """The web portal's integrator, authenticated."""
    return api_grpc.ComplaintServiceStub(as_user(channel, "integrator-portal"))


def request(**changes: object) -> api.SubmitComplaintRequest:
    fields: dict[str, object] = {
        "idempotency_key": "web-0001",
        "text": "Lampu PJU di Jl. Sersan Suharmaji Manisrenggo mati sudah seminggu, jalan gelap gulita.",
        "category": "pju",
        "kelurahan": "Manisrenggo",
        "source_channel": pb.SOURCE_CHANNEL_WEB_PORTAL,
        "reporter": api.ReporterContact(name="Budi", phone="0812 3456 7890"),
    }
    fields.update(changes)
    return api.SubmitComplaintRequest(**fields)


def rpc_error(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, timeout=10, **kwargs)
    return raised.value


def test_submitting_over_grpc_returns_the_receipt_and_records_the_caller(stub, wired) -> None:
    response = stub.SubmitComplaint(request(), timeout=10)

    (event,) = wired.published_events()
    assert response.complaint_id == event.complaint_id
    assert response.tracking_number == event.payload.tracking_number
    assert response.replayed is False
    assert (event.actor.kind, event.actor.id) == (ActorKind.INTEGRATOR, "web-portal")  # from the token, no header
    assert wired.contacts.get(event.complaint_id).phone == "0812 3456 7890"


def test_an_unauthenticated_call_gets_unauthenticated_and_records_nothing(channel, wired) -> None:
    anonymous = api_grpc.ComplaintServiceStub(channel)

    error = rpc_error(anonymous.SubmitComplaint, request())

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert wired.journal.pending() == []


def test_a_header_naming_another_client_does_not_change_who_submitted(stub, wired) -> None:
    stub.SubmitComplaint(request(), metadata=(("suara-client-id", "someone-else"),), timeout=10)

    assert wired.published_events()[0].actor.id == "web-portal"


def test_the_same_key_from_two_integrators_makes_two_complaints(stub, channel, as_user) -> None:
    other = api_grpc.ComplaintServiceStub(as_user(channel, "integrator-112"))

    first = stub.SubmitComplaint(request(), timeout=10)
    second = other.SubmitComplaint(request(), timeout=10)

    assert first.complaint_id != second.complaint_id
    assert second.replayed is False


def test_an_auditor_may_not_submit(channel, as_user) -> None:
    auditor = api_grpc.ComplaintServiceStub(as_user(channel, "auditor"))

    error = rpc_error(auditor.SubmitComplaint, request())

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "auditor" in error.details()


def test_an_integrator_cannot_trace_another_integrators_complaint(stub, channel, as_user, wired) -> None:
    receipt = stub.SubmitComplaint(request(), timeout=10)
    wired.project()
    other = api_grpc.ComplaintServiceStub(as_user(channel, "integrator-112"))

    error = rpc_error(other.TraceComplaint, api.TraceComplaintRequest(reference=receipt.tracking_number))

    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert stub.TraceComplaint(api.TraceComplaintRequest(reference=receipt.tracking_number), timeout=10).events


def test_resubmitting_over_grpc_answers_replayed(stub, wired) -> None:
    first = stub.SubmitComplaint(request(), timeout=10)

    again = stub.SubmitComplaint(request(), timeout=10)

    assert again.replayed is True
    assert again.complaint_id == first.complaint_id
    assert len(wired.publisher.published) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": "rusak"}, "text"),
        ({"category": "tidak_ada"}, "category"),
        ({"kelurahan": "Gurah"}, "kelurahan"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"source_channel": pb.SOURCE_CHANNEL_UNSPECIFIED}, "source_channel"),
        ({"source_channel": 99}, "source_channel"),
        ({"reporter": api.ReporterContact(email="budi@")}, "reporter.email"),
    ],
    ids=["text", "category", "kelurahan", "idempotency_key", "channel-unspecified", "channel-unknown", "email"],
)
def test_an_invalid_request_is_answered_invalid_argument_naming_the_field(stub, wired, changes, field) -> None:
    error = rpc_error(stub.SubmitComplaint, request(**changes))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(f"{field}: ")
    assert wired.publisher.published == []


def test_a_reused_idempotency_key_is_answered_already_exists(stub) -> None:
    stub.SubmitComplaint(request(), timeout=10)

    error = rpc_error(stub.SubmitComplaint, request(text="Pohon besar di Jl. Veteran hampir tumbang, mohon dipangkas."))

    assert error.code() is grpc.StatusCode.ALREADY_EXISTS
    assert "idempotency_key" in error.details()


def test_tracing_an_unknown_reference_is_answered_not_found(stub) -> None:
    error = rpc_error(stub.TraceComplaint, api.TraceComplaintRequest(reference="KDR-00000-00000"))

    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert "KDR-00000-00000" in error.details()


def test_tracing_without_a_reference_is_answered_invalid_argument(stub) -> None:
    error = rpc_error(stub.TraceComplaint, api.TraceComplaintRequest(reference="  "))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("reference: ")


def test_tracing_returns_the_events_exactly_as_they_were_published(stub, wired) -> None:
    submitted = stub.SubmitComplaint(request(), timeout=10)
    wired.project()

    response = stub.TraceComplaint(api.TraceComplaintRequest(reference=submitted.tracking_number), timeout=10)

    assert response.complaint_id == submitted.complaint_id
    assert response.tracking_number == submitted.tracking_number
    assert [e.SerializeToString() for e in response.events] == [p.value for p in wired.publisher.published]
    assert codec.from_proto(response.events[0]).payload.category == "pju"


def test_health_says_serving_only_after_mark_serving(server, channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)

    def status(service: str) -> int:
        return int(health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status)

    before = (status(""), status(SERVICE_NAME))
    server.mark_serving()
    after = (status(""), status(SERVICE_NAME))

    assert before == (health_pb2.HealthCheckResponse.NOT_SERVING,) * 2
    assert after == (health_pb2.HealthCheckResponse.SERVING,) * 2


def test_a_100_kb_bad_value_is_answered_invalid_argument_with_a_short_message(stub, wired) -> None:
    error = rpc_error(stub.SubmitComplaint, request(category="k" * 100_000))

    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("category: unknown category 'kkkk")
    assert len(error.details()) < 200


class StalledStoreJournal(InMemoryJournal):
    """A store that does not answer: it waits as long as the call allows (pymongo.timeout does the same for the
    real store, see suara_kit.deadline) and then fails as a timed-out operation does."""

    def stream(self, complaint_id: str) -> list:
        time.sleep(deadline.remaining(default=60.0))
        raise deadline.DeadlineExhausted("the call's deadline has passed")


class UnreachableStoreJournal(InMemoryJournal):
    def stream(self, complaint_id: str) -> list:
        raise ServerSelectionTimeoutError("127.0.0.1:17017: [Errno 111] Connection refused " + "x" * 10_000)


class DepartingStoreJournal(InMemoryJournal):
    """FerretDB shutting down answers a write in flight with InternalError (code 1), not a connection error."""

    def append(self, event):
        raise OperationFailure("[msg_insert.go:168 handler.(*Handler).MsgInsert] context canceled", 1)


class RefusingStoreJournal(InMemoryJournal):
    def append(self, event):
        raise OperationFailure("BadValue: something no retry can mend", 2)


def serve(wired, catalogue, auth, as_user, **replaced) -> Iterator[api_grpc.ComplaintServiceStub]:
    intake = bootstrap.wire(
        catalogue=catalogue,
        rules=(wired.intake.complaints.policy, wired.intake.complaints.calendar),
        journal=replaced.get("journal", wired.journal),
        appended=lambda: None,  # no relay: submit only appends
        contacts=wired.contacts,
        timeline=wired.timeline,
    )
    running = start_server(
        "127.0.0.1:0", [complaint_service(ComplaintServicer(intake.submit, intake.trace))], interceptors=[auth]
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as open_channel:
            yield api_grpc.ComplaintServiceStub(as_user(open_channel, "integrator-portal"))
    finally:
        running.stop(grace_seconds=0)


def test_a_submit_never_waits_for_the_broker_the_event_waits_in_the_outbox(wired, catalogue, auth, as_user) -> None:
    # Intake only appends; the relay publishes (suara_kit.relay). Here no relay runs at all, as in a broker outage.
    for stub in serve(wired, catalogue, auth, as_user):
        receipt = stub.SubmitComplaint(request(), timeout=2.0)

    assert [p.event.complaint_id for p in wired.journal.pending()] == [receipt.complaint_id]
    assert wired.publisher.published == []


def test_a_stalled_store_is_answered_unavailable_within_the_callers_deadline(wired, catalogue, auth, as_user) -> None:
    for stalled in serve(wired, catalogue, auth, as_user, journal=StalledStoreJournal()):
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as raised:
            stalled.SubmitComplaint(request(), timeout=2.0)
        took = time.monotonic() - started

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE, raised.value.details()
    assert took < 2.0
    assert "retry with the same idempotency_key" in raised.value.details()


def test_an_unreachable_store_is_answered_unavailable_with_a_short_message(wired, catalogue, auth, as_user) -> None:
    for broken in serve(wired, catalogue, auth, as_user, journal=UnreachableStoreJournal()):
        with pytest.raises(grpc.RpcError) as raised:
            broken.SubmitComplaint(request(), timeout=10)

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert raised.value.details().startswith("the store is unavailable (ServerSelectionTimeoutError)")
    assert len(raised.value.details()) < 300


def test_a_store_shutting_down_mid_write_is_answered_unavailable_not_unknown(wired, catalogue, auth, as_user) -> None:
    for departing in serve(wired, catalogue, auth, as_user, journal=DepartingStoreJournal()):
        with pytest.raises(grpc.RpcError) as raised:
            departing.SubmitComplaint(request(), timeout=10)
    for refusing in serve(wired, catalogue, auth, as_user, journal=RefusingStoreJournal()):
        with pytest.raises(grpc.RpcError) as refused:
            refusing.SubmitComplaint(request(), timeout=10)

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert raised.value.details().startswith("the store is unavailable (OperationFailure)")
    assert refused.value.code() is grpc.StatusCode.UNKNOWN  # a store error no retry mends is not an outage


def test_a_retry_with_the_same_key_after_unavailable_records_the_complaint_once(
    wired, catalogue, auth, as_user
) -> None:
    class FailsOnceAfterAppending(InMemoryJournal):
        """The first append lands, then the answer is lost (the store went away before replying)."""

        failed = False

        def append(self, event):
            stored = super().append(event)
            if not self.failed:
                self.failed = True
                raise ServerSelectionTimeoutError("connection lost after the write")
            return stored

    journal = FailsOnceAfterAppending()
    for flaky in serve(wired, catalogue, auth, as_user, journal=journal):
        with pytest.raises(grpc.RpcError) as raised:
            flaky.SubmitComplaint(request(), timeout=5.0)
        receipt = flaky.SubmitComplaint(request(), timeout=5.0)

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert len(journal.stream(receipt.complaint_id)) == 1
    assert len(journal.pending()) == 1


def test_a_caller_without_a_deadline_gives_the_adapters_a_finite_budget(wired, auth, as_user) -> None:
    # gRPC reports "no deadline" as an enormous time_remaining(); passed on, it overflowed the store's timers
    # ("timestamp out of range for platform time_t") and every deadline-less submit failed.
    intake = wired.intake
    budgets: list[float] = []

    def submit(*args):  # the adapters read the call's budget through suara_kit.deadline
        budgets.append(deadline.remaining(default=1e12))
        return intake.submit(*args)

    running = start_server(
        "127.0.0.1:0", [complaint_service(ComplaintServicer(submit, intake.trace))], interceptors=[auth]
    )
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as open_channel:
            stub = api_grpc.ComplaintServiceStub(as_user(open_channel, "integrator-portal"))
            receipt = stub.SubmitComplaint(request())  # no timeout
    finally:
        running.stop(grace_seconds=0)

    assert receipt.tracking_number
    assert budgets and budgets[0] <= grpc_api.MAX_BUDGET_S


def test_a_caller_without_a_deadline_gets_unavailable_within_the_servers_budget(
    wired, catalogue, auth, as_user, monkeypatch
) -> None:
    monkeypatch.setattr(grpc_api, "MAX_BUDGET_S", 1.0)
    for stalled in serve(wired, catalogue, auth, as_user, journal=StalledStoreJournal()):
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as raised:
            stalled.SubmitComplaint(request())
        took = time.monotonic() - started

    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE, raised.value.details()
    assert took < 5.0


def test_opd_staff_trace_only_what_their_opd_holds_or_held(stub, channel, as_user, wired) -> None:
    receipt = stub.SubmitComplaint(request(), timeout=10)
    wired.project()
    (submitted,) = wired.published_events()
    routed = Event(
        str(uuid.uuid4()), receipt.complaint_id, 2, submitted.occurred_at, Actor(ActorKind.SERVICE, "suara-router"),
        "c", "c", "suara-router",
        ComplaintRouted("DPUPR", "DPUPR", Priority.NORMAL, submitted.occurred_at, "R-PJU-01", "PJU"),
    )  # fmt: skip
    wired.timeline.apply(routed, codec.encode(routed))
    trace = api.TraceComplaintRequest(reference=receipt.tracking_number)

    def traced_by(username: str) -> grpc.StatusCode:
        try:
            api_grpc.ComplaintServiceStub(as_user(channel, username)).TraceComplaint(trace, timeout=10)
        except grpc.RpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    assert traced_by("officer-dpupr") is grpc.StatusCode.OK
    assert traced_by("head-dpupr") is grpc.StatusCode.OK
    assert traced_by("officer-dlhkp") is grpc.StatusCode.NOT_FOUND
    assert traced_by("coordinator-diskominfo") is grpc.StatusCode.OK
    assert traced_by("auditor") is grpc.StatusCode.OK


def test_staff_submit_through_an_integrator_not_themselves(channel, as_user) -> None:
    officer = api_grpc.ComplaintServiceStub(as_user(channel, "officer-dpupr"))

    error = rpc_error(officer.SubmitComplaint, request())

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "integrator" in error.details()
