"""AuditService in process over a real gRPC channel, behind the real AuthInterceptor with demo users' tokens from a
development identity provider: answers, who may call what (docs/audit/access.md), and status codes that name what is
wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from audit_log_fixture import ORIGIN, Log
from events import complaints, lifecycle, received
from pymongo.errors import ServerSelectionTimeoutError

from suara.v1 import audit_pb2 as api
from suara.v1 import audit_pb2_grpc as api_grpc
from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_kit.grpc_server import RunningServer, start_server
from suara_kit.identity import AuthInterceptor, JwksFileKeys, TokenVerifier
from suara_kit.identity.dev import DevIdentityProvider
from suara_verify import checkpoint, receipt, rfc9162

DEMO_USERS = Path(__file__).resolve().parents[3] / "data" / "kota-kediri" / "demo-users.toml"
INTEGRATOR_112 = "lapor-mbak-wali-112"  # integrator-112's id in demo-users.toml


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("idp"), DEMO_USERS)


@pytest.fixture
def log() -> Log:
    running = Log()
    assert running.sequencer.acquire()
    running.sequencer.append(complaints(3))
    running.sign_now()
    running.sequencer.append(complaints(1))
    running.sign_now()
    return running


@pytest.fixture
def server(log: Log, idp: DevIdentityProvider) -> Iterator[RunningServer]:
    verifier = TokenVerifier(JwksFileKeys(idp.jwks_file), issuer=idp.issuer, audience=idp.audience)
    running = start_server(
        "127.0.0.1:0",
        [audit_service(AuditServicer(log.queries))],
        max_workers=2,
        interceptors=[AuthInterceptor(verifier)],
    )
    yield running
    running.stop(grace_seconds=0)


class As:
    """The AuditService's methods, called with one demo user's token (or none)."""

    def __init__(self, channel: grpc.Channel, idp: DevIdentityProvider, username: str | None) -> None:
        self._stub = api_grpc.AuditServiceStub(channel)
        self._metadata = [("authorization", f"Bearer {idp.mint(username)}")] if username else []

    def __getattr__(self, method: str) -> Callable[..., Any]:
        call = getattr(self._stub, method)
        return lambda request, **kwargs: call(request, metadata=self._metadata, **kwargs)


@pytest.fixture
def as_user(server: RunningServer, idp: DevIdentityProvider) -> Iterator[Callable[[str | None], As]]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield lambda username: As(channel, idp, username)


@pytest.fixture
def stub(as_user: Callable[[str | None], As]) -> As:
    return as_user("auditor")


def test_get_checkpoint_returns_the_latest_or_the_one_at_a_size(stub, log: Log) -> None:
    latest = stub.GetCheckpoint(api.GetCheckpointRequest(), timeout=10)
    older = stub.GetCheckpoint(api.GetCheckpointRequest(tree_size=9), timeout=10)

    assert (latest.tree_size, older.tree_size) == (12, 9)
    opened = checkpoint.open_checkpoint(latest.note, [log.vkey], ORIGIN).checkpoint
    assert opened.root == latest.root_hash


def test_proofs_over_grpc_verify(stub, log: Log) -> None:
    latest = stub.GetCheckpoint(api.GetCheckpointRequest(), timeout=10)
    older = stub.GetCheckpoint(api.GetCheckpointRequest(tree_size=9), timeout=10)
    event_id = next(log.store.leaves(4)).event_id

    inclusion = stub.GetInclusionProof(api.GetInclusionProofRequest(event_id=event_id), timeout=10)
    by_index = stub.GetInclusionProof(api.GetInclusionProofRequest(index=4, tree_size=9), timeout=10)
    consistency = stub.GetConsistencyProof(api.GetConsistencyProofRequest(size1=9), timeout=10)

    rfc9162.verify_inclusion(4, 12, rfc9162.leaf_hash(inclusion.leaf), list(inclusion.hashes), latest.root_hash)
    rfc9162.verify_inclusion(4, 9, rfc9162.leaf_hash(by_index.leaf), list(by_index.hashes), older.root_hash)
    rfc9162.verify_consistency(9, 12, older.root_hash, latest.root_hash, list(consistency.hashes))


def test_a_receipt_over_grpc_verifies_on_its_own(stub, log: Log) -> None:
    event_id = next(log.store.leaves(7)).event_id

    answer = stub.GetReceipt(api.GetReceiptRequest(event_id=event_id), timeout=10)

    assert receipt.verify(answer.tlog_proof, answer.leaf, [log.vkey], ORIGIN).index == 7 == answer.index


def test_the_export_streams_every_file_with_the_manifest_last(stub) -> None:
    chunks = list(stub.ExportBundle(api.ExportBundleRequest(since_tree_size=9), timeout=10))

    paths = list(dict.fromkeys(c.path for c in chunks))
    assert paths[-1] == "manifest.note" and "frontier.txt" in paths and "proofs/consistency-9-12.txt" in paths


def test_erasure_by_the_coordinator_reports_how_many_disclosures_went(as_user, log: Log) -> None:
    complaint_id = next(log.store.leaves(0)).complaint_id
    coordinator = as_user("coordinator-diskominfo")

    assert coordinator.EraseDisclosures(api.EraseDisclosuresRequest(complaint_id=complaint_id), timeout=10).erased == 5


@pytest.mark.parametrize(
    ("call", "code", "detail"),
    [
        (lambda s: s.GetInclusionProof(api.GetInclusionProofRequest(), timeout=10), "INVALID_ARGUMENT", "leaf:"),
        (
            lambda s: s.GetInclusionProof(api.GetInclusionProofRequest(index=40), timeout=10),
            "INVALID_ARGUMENT",
            "index:",
        ),
        (
            lambda s: s.GetConsistencyProof(api.GetConsistencyProofRequest(size1=13), timeout=10),
            "INVALID_ARGUMENT",
            "size1:",
        ),
        (lambda s: s.GetCheckpoint(api.GetCheckpointRequest(tree_size=5), timeout=10), "NOT_FOUND", "tree size 5"),
        (lambda s: s.GetReceipt(api.GetReceiptRequest(event_id="nope"), timeout=10), "NOT_FOUND", "nope"),
        (
            lambda s: list(s.ExportBundle(api.ExportBundleRequest(since_tree_size=99), timeout=10)),
            "INVALID_ARGUMENT",
            "since_size:",
        ),
        (lambda s: s.EraseDisclosures(api.EraseDisclosuresRequest(), timeout=10), "INVALID_ARGUMENT", "complaint_id:"),
    ],
)
def test_bad_requests_get_a_status_naming_the_field(as_user, call, code: str, detail: str) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(as_user("coordinator-diskominfo"))

    assert raised.value.code().name == code
    assert detail in raised.value.details()


def test_a_store_outage_is_unavailable(stub, log: Log) -> None:
    def down(size=None):
        raise ServerSelectionTimeoutError("no servers")

    log.checkpoints.latest = down  # type: ignore[method-assign]

    with pytest.raises(grpc.RpcError) as raised:
        stub.GetCheckpoint(api.GetCheckpointRequest(), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


def refusal(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


READS: list[tuple[str, Callable[[As], Any]]] = [
    ("GetCheckpoint", lambda s: s.GetCheckpoint(api.GetCheckpointRequest(), timeout=10)),
    ("GetInclusionProof", lambda s: s.GetInclusionProof(api.GetInclusionProofRequest(index=1), timeout=10)),
    ("GetConsistencyProof", lambda s: s.GetConsistencyProof(api.GetConsistencyProofRequest(size1=9), timeout=10)),
    ("ExportBundle", lambda s: list(s.ExportBundle(api.ExportBundleRequest(), timeout=10))),
]


@pytest.mark.parametrize(("method", "call"), READS)
def test_auditors_and_the_coordinator_read_the_log(as_user, method: str, call: Callable[[As], Any]) -> None:
    assert call(as_user("auditor"))
    assert call(as_user("coordinator-diskominfo"))


@pytest.mark.parametrize(("method", "call"), READS)
@pytest.mark.parametrize(
    ("username", "scope"),
    [("officer-dpupr", "officer of DPUPR"), ("head-dlhkp", "head of DLHKP"), ("integrator-112", INTEGRATOR_112)],
)
def test_staff_and_integrators_may_not_read_the_log(
    as_user, method: str, call: Callable[[As], Any], username: str, scope: str
) -> None:
    denied = refusal(lambda: call(as_user(username)))

    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "needs role auditor or coordinator" in denied.details() and scope in denied.details()


@pytest.mark.parametrize(("method", "call"), READS)
def test_a_call_without_a_token_is_unauthenticated(as_user, method: str, call: Callable[[As], Any]) -> None:
    denied = refusal(lambda: call(as_user(None)))

    assert denied.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "suara login" in denied.details()


def test_only_the_coordinator_erases_not_an_auditor(as_user, log: Log) -> None:
    complaint_id = next(log.store.leaves(0)).complaint_id
    request = api.EraseDisclosuresRequest(complaint_id=complaint_id)

    denied = refusal(lambda: as_user("auditor").EraseDisclosures(request, timeout=10))

    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert denied.details() == "erasing a complaint's disclosures needs role coordinator; you are auditor"
    assert len(list(log.disclosures.between(0, 3))) == 5  # nothing was erased


def submitted_by_112(log: Log) -> list[str]:
    """A complaint the 112 call centre submitted, logged and signed: its events' ids."""
    events = lifecycle(submitted_by=INTEGRATOR_112)
    log.sequencer.append(received(events, first_offset=100))
    log.sign_now()
    return [e.event_id for e in events]


def test_the_integrator_that_submitted_a_complaint_gets_receipts_of_its_events(as_user, log: Log) -> None:
    submitted, routed, _ = submitted_by_112(log)
    integrator = as_user("integrator-112")

    for event_id in (submitted, routed):
        answer = integrator.GetReceipt(api.GetReceiptRequest(event_id=event_id), timeout=10)
        assert receipt.verify(answer.tlog_proof, answer.leaf, [log.vkey], ORIGIN).index == answer.index


def test_another_integrator_gets_no_receipt_of_that_complaint(as_user, log: Log) -> None:
    submitted, _, _ = submitted_by_112(log)

    denied = refusal(lambda: as_user("integrator-portal").GetReceipt(api.GetReceiptRequest(event_id=submitted)))

    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "for the integrator that submitted it; you are integrator web-portal" in denied.details()


def test_an_integrator_gets_no_receipt_of_a_complaint_no_integrator_submitted(as_user, log: Log) -> None:
    event_id = next(log.store.leaves(4)).event_id  # the fixture's complaints were recorded by a service

    denied = refusal(lambda: as_user("integrator-112").GetReceipt(api.GetReceiptRequest(event_id=event_id)))

    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "the log shows no integrator's submission" in denied.details()


def test_staff_get_no_receipt(as_user, log: Log) -> None:
    event_id = submitted_by_112(log)[0]

    denied = refusal(lambda: as_user("officer-dpupr").GetReceipt(api.GetReceiptRequest(event_id=event_id)))

    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert denied.details() == "a receipt needs role auditor or coordinator or integrator; you are officer of DPUPR"


def test_the_coordinator_gets_receipts(as_user, log: Log) -> None:
    event_id = next(log.store.leaves(4)).event_id

    assert as_user("coordinator-diskominfo").GetReceipt(api.GetReceiptRequest(event_id=event_id)).index == 4
