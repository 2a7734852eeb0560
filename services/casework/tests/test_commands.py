"""The command RPCs over a real in-process gRPC server with the AuthInterceptor and demo users' tokens, on the
one write path (ComplaintStore over an in-memory journal): the issue-5 journey at the API, and each refusal kind
answered with its status code naming what is wrong."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara_casework.adapters.views import InMemoryComplaintViews
from suara_casework.bootstrap import CaseworkServicer
from suara_casework.entrypoints.grpc_api import casework_service
from suara_complaint import Policy, load_calendar
from suara_kit import codec
from suara_kit.complaints import ComplaintStore
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    Payload,
    Priority,
    SourceChannel,
)
from suara_kit.grpc_server import RunningServer, start_server
from suara_kit.identity import AuthInterceptor, JwksFileKeys, TokenVerifier
from suara_kit.identity.dev import DevIdentityProvider
from suara_kit.journal import InMemoryJournal, StoredEvent

DATA = Path(__file__).resolve().parents[3] / "data"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("idp"), DATA / "kota-kediri" / "demo-users.toml")


@pytest.fixture
def journal() -> InMemoryJournal:
    return InMemoryJournal()


@pytest.fixture
def server(idp: DevIdentityProvider, journal: InMemoryJournal) -> Iterator[RunningServer]:
    store = ComplaintStore(journal, Policy(), load_calendar(DATA / "calendar"), producer="test", clock=lambda: NOW)
    views = InMemoryComplaintViews(store.policy, store.calendar)
    verifier = TokenVerifier(JwksFileKeys(idp.jwks_file), issuer=idp.issuer, audience=idp.audience)
    running = start_server(
        "127.0.0.1:0",
        [casework_service(CaseworkServicer(store, views, lambda: NOW))],
        max_workers=8,
        interceptors=[AuthInterceptor(verifier)],
    )
    yield running
    running.stop(grace_seconds=0)


class As:
    """Calls the API as one demo user."""

    def __init__(self, server: RunningServer, idp: DevIdentityProvider, username: str | None) -> None:
        self._channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        self._stub = api_grpc.CaseworkServiceStub(self._channel)
        self._metadata = [("authorization", f"Bearer {idp.mint(username)}")] if username else []

    def __call__(self, method: str, complaint_id: str, version: int = 0, **fields: Any) -> api.CommandReply:
        header = api.CommandHeader(
            complaint_id=complaint_id, expected_version=version, idempotency_key=str(uuid.uuid4())
        )
        request_type = getattr(api, f"{method}Request", None)
        if method in ("Acknowledge", "ConfirmResolved"):
            request: Any = header
        elif method in ("PostFollowUp", "Resolve", "AddInfo"):
            request = api.TextRequest(header=header, **fields)
        elif method in ("Archive", "Reopen"):
            request = api.ReasonRequest(header=header, **fields)
        elif method == "Redispatch":
            request = api.DispatchRequest(header=header, **fields)
        else:
            assert request_type is not None, method
            request = request_type(header=header, **fields)
        return getattr(self._stub, method)(request, metadata=self._metadata, timeout=10)

    def refused(self, method: str, complaint_id: str, version: int = 0, **fields: Any) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as raised:
            self(method, complaint_id, version, **fields)
        return raised.value


@pytest.fixture
def as_user(server: RunningServer, idp: DevIdentityProvider):  # type: ignore[no-untyped-def]
    return lambda username: As(server, idp, username)


def routed_to(journal: InMemoryJournal, opd: str, integrator: str = "lapor-mbak-wali-112") -> str:
    """A complaint intake and the router recorded (the walking skeleton's events), dispatched to `opd`."""
    complaint_id = str(uuid.uuid4())
    submitted = ComplaintSubmitted(
        "KDR-AAAAA-BBBBB", "Saluran air mampet, air meluap ke jalan.", "drainase", "35.71.01.1008", "Mrican",
        "Mojoroto", SourceChannel.WHATSAPP, False, True, "k-1",
    )  # fmt: skip
    routed = ComplaintRouted(opd, opd, Priority.NORMAL, NOW, "R-1", "saluran tersumbat", category="drainase")
    payloads: list[tuple[Payload, str]] = [(submitted, integrator), (routed, "suara-router")]
    for sequence, (payload, actor) in enumerate(payloads, start=1):
        kind = ActorKind.INTEGRATOR if sequence == 1 else ActorKind.SERVICE
        event = Event(str(uuid.uuid4()), complaint_id, sequence, NOW, Actor(kind, actor), "c", "c", "t", payload)
        journal.append(StoredEvent(event.event_id, complaint_id, sequence, event.event_type, codec.encode(event)))
    return complaint_id


def test_the_issue_5_journey_through_the_api(as_user, journal) -> None:
    complaint_id = routed_to(journal, "DPUPR")
    dpupr, dlhkp = as_user("officer-dpupr"), as_user("officer-dlhkp")
    coordinator, citizen = as_user("coordinator-diskominfo"), as_user("integrator-112")

    assert dpupr("Acknowledge", complaint_id, 2).status == "acknowledged"
    assert dpupr("HandBack", complaint_id, reason="saluran provinsi", suggested_opd="DLHKP").status == "returned"
    # (the router re-dispatches; here the coordinator does, as it may)
    coordinator("Dispatch", complaint_id, opd="DLHKP", reason="saran DPUPR")
    handed = dlhkp("HandBack", complaint_id, reason="bukan sampah, drainase")
    assert handed.status == "needs_coordinator"
    assert handed.event_types == ["Lifecycle.ComplaintHandedBack", "Lifecycle.HandBackCapReached"]
    decided = coordinator("DecideOwner", complaint_id, opd="DPUPR", reason="saluran kota: DPUPR")
    assert decided.status == "dispatched"

    refused = dpupr.refused("HandBack", complaint_id, reason="lagi")
    assert refused.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "status dispatched" in refused.details()

    dpupr("Acknowledge", complaint_id)
    assert dpupr("Resolve", complaint_id, text="Saluran dibersihkan.").status == "resolved"
    reopened = citizen("Reopen", complaint_id, reason="air masih meluap")
    assert reopened.status == "reopened"
    assert reopened.version == len(journal.stream(complaint_id))


def test_a_stale_version_is_aborted_naming_the_current_one(as_user, journal) -> None:
    complaint_id = routed_to(journal, "DPUPR")

    error = as_user("officer-dpupr").refused("Acknowledge", complaint_id, 1)

    assert error.code() is grpc.StatusCode.ABORTED
    assert "at version 2, not 1" in error.details()


def test_an_officer_of_another_opd_is_permission_denied_naming_role_and_scope(as_user, journal) -> None:
    complaint_id = routed_to(journal, "DPUPR")

    error = as_user("officer-dlhkp").refused("Acknowledge", complaint_id)

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "opd_officer" in error.details() and "DLHKP" in error.details()


def test_another_integrator_cannot_act_for_the_citizen(as_user, journal) -> None:
    complaint_id = routed_to(journal, "DPUPR")

    error = as_user("integrator-portal").refused("AddInfo", complaint_id, text="foto tambahan")

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED


def test_an_unauthenticated_command_is_unauthenticated_and_records_nothing(as_user, journal) -> None:
    complaint_id = routed_to(journal, "DPUPR")

    error = as_user(None).refused("Acknowledge", complaint_id)

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert len(journal.stream(complaint_id)) == 2


def test_a_retry_with_the_same_key_records_nothing_twice(server, idp, journal) -> None:
    complaint_id = routed_to(journal, "DPUPR")
    officer = As(server, idp, "officer-dpupr")
    header = api.CommandHeader(complaint_id=complaint_id, expected_version=2, idempotency_key="ack-once")

    first = officer._stub.Acknowledge(header, metadata=officer._metadata, timeout=10)
    again = officer._stub.Acknowledge(header, metadata=officer._metadata, timeout=10)

    assert (first.version, again.version) == (3, 3)
    assert again.event_types == []


def test_a_missing_key_or_unknown_kind_is_invalid_argument_naming_the_field(as_user, journal, server, idp) -> None:
    complaint_id = routed_to(journal, "DPUPR")
    coordinator = As(server, idp, "coordinator-diskominfo")
    no_key = api.CommandHeader(complaint_id=complaint_id)

    with pytest.raises(grpc.RpcError) as raised:
        coordinator._stub.Acknowledge(no_key, metadata=coordinator._metadata, timeout=10)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("idempotency_key")

    error = coordinator.refused("Verify", complaint_id, kind="gossip")
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("kind: unknown 'gossip'")


def test_an_unknown_complaint_is_not_found(as_user) -> None:
    error = as_user("coordinator-diskominfo").refused("Verify", str(uuid.uuid4()))

    assert error.code() is grpc.StatusCode.NOT_FOUND
