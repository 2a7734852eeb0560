"""AuditService in process over a real gRPC channel: answers, and status codes that name what is wrong."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from audit_log_fixture import ORIGIN, Log
from events import complaints
from pymongo.errors import ServerSelectionTimeoutError

from suara.v1 import audit_pb2 as api
from suara.v1 import audit_pb2_grpc as api_grpc
from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_kit.grpc_server import start_server
from suara_verify import checkpoint, receipt, rfc9162


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
def stub(log: Log) -> Iterator[api_grpc.AuditServiceStub]:
    running = start_server("127.0.0.1:0", [audit_service(AuditServicer(log.queries))], max_workers=2)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield api_grpc.AuditServiceStub(channel)
    finally:
        running.stop(grace_seconds=0)


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


def test_erasure_over_grpc_reports_how_many_disclosures_went(stub, log: Log) -> None:
    complaint_id = next(log.store.leaves(0)).complaint_id

    assert stub.EraseDisclosures(api.EraseDisclosuresRequest(complaint_id=complaint_id), timeout=10).erased == 5


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
def test_bad_requests_get_a_status_naming_the_field(stub, call, code: str, detail: str) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(stub)

    assert raised.value.code().name == code
    assert detail in raised.value.details()


def test_a_store_outage_is_unavailable(stub, log: Log) -> None:
    def down(size=None):
        raise ServerSelectionTimeoutError("no servers")

    log.checkpoints.latest = down  # type: ignore[method-assign]

    with pytest.raises(grpc.RpcError) as raised:
        stub.GetCheckpoint(api.GetCheckpointRequest(), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
