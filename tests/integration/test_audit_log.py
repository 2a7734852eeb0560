"""The integrity log on the real broker and store, through real suara-audit processes, checked by suara-verify.

The tests that tamper with a log, stop its sequencer or erase data run their own audit processes ("private logs":
their own database, consumer group and port, over the same events topic), so the shared stack stays intact.
Every call to the audit service carries a demo user's token: the CLI is logged in as the auditor, stubs call as one.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from bson.binary import Binary
from harness import (
    ADDRESSES,
    IDENTITY,
    REPO,
    STATE,
    Stack,
    audit_settled,
    audit_vkey,
    authenticated,
    log_in,
    submit,
    trace_types,
    wait_until,
)
from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition

from suara.v1 import audit_pb2, audit_pb2_grpc, complaints_pb2, complaints_pb2_grpc
from suara_audit.domain.merkle import Frontier, perfect_subtrees
from suara_audit.domain.note import Ed25519Signer, checkpoint_body, sign_note
from suara_cli.main import main as suara
from suara_kit.identity.dev import DevIdentityProvider
from suara_verify import note
from suara_verify.cli import main as suara_verify

pytestmark = pytest.mark.integration
FLOW = ["ComplaintSubmitted", "ComplaintRouted", "StaffNotified"]
PRIVATE_PORTS = iter(range(19160, 19199))


@pytest.fixture(autouse=True)
def auditor(stack: Stack) -> None:
    """The in-process CLI logged in as the demo auditor (the stack's identity provider exists once it started)."""
    log_in("auditor")


def audit_stub(address: str, username: str | None = "auditor") -> audit_pb2_grpc.AuditServiceStub:
    channel = grpc.insecure_channel(address)
    return audit_pb2_grpc.AuditServiceStub(authenticated(channel, username) if username else channel)


def notified(types: list[str]) -> bool:
    """Submitted, routed, then one StaffNotified per alerted agency (an emergency alerts every responder)."""
    return types[:3] == FLOW and all(t == "StaffNotified" for t in types[2:])


def complaint_flow(stub: complaints_pb2_grpc.ComplaintServiceStub, count: int, text: str) -> list[str]:
    ids = [submit(stub, f"{text} ({n})", "parkir_liar", "Kaliombo").complaint_id for n in range(count)]
    wait_until(lambda: all(notified(trace_types(stub, c)) for c in ids), 120, "the complaints to be notified")
    return ids


class AuditProcess:
    """One suara-audit process with the given settings, logging to var/test/log/<name>.log."""

    def __init__(self, stack: Stack, name: str, database: str, group: str, key_file: Path) -> None:
        self.address = f"127.0.0.1:{next(PRIVATE_PORTS)}"
        self.database = stack.database.client[database]
        self.env = {
            **stack.env,
            "SUARA_MONGO_DB": database,
            "SUARA_AUDIT_CONSUMER_GROUP": group,
            "SUARA_AUDIT_LISTEN": self.address,
            "SUARA_AUDIT_SIGNING_KEY_FILE": str(key_file),
            **DevIdentityProvider.open(IDENTITY).service_env(),  # as suara-stack gives the stack's services
        }
        log = open(STATE / "log" / f"{name}.log", "ab")  # noqa: SIM115  # kept open for the process's life
        self.process = subprocess.Popen([str(REPO / ".venv/bin/suara-audit")], env=self.env, stdout=log, stderr=log)
        ready = subprocess.run(
            [str(REPO / ".venv/bin/python"), "-m", "suara_kit.healthcheck", "--timeout", "60", self.address],
            check=False,
        )
        assert ready.returncode == 0, f"{name} did not become healthy; see var/test/log/{name}.log"

    def stub(self) -> audit_pb2_grpc.AuditServiceStub:
        return audit_stub(self.address)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def size(self) -> int:
        head = self.database.audit_sequencer.find_one({"_id": "sequencer"})
        return int(head["size"]) if head else 0

    def checkpoint(self) -> audit_pb2.Checkpoint | None:
        try:
            return self.stub().GetCheckpoint(audit_pb2.GetCheckpointRequest(), timeout=10)
        except grpc.RpcError:
            return None

    def settled(self, at_least: int) -> int:
        """Wait until the log has at least `at_least` entries and its latest checkpoint covers them all."""

        def covered() -> int:
            size = self.size()
            checkpoint = self.checkpoint()
            return size if size >= at_least and checkpoint is not None and checkpoint.tree_size == size else 0

        return wait_until(covered, 120, f"a checkpoint covering at least {at_least} entries")

    def export(self, out: Path, since: Path | None = None) -> Path:
        extra = ["--since-checkpoint", str(since)] if since else []
        assert suara(["--audit", self.address, "audit", "export", "--out", str(out), *extra]) == 0
        return out


@pytest.fixture
def private_log(stack: Stack, tmp_path: Path) -> Iterator[tuple[AuditProcess, str]]:
    """A second, private log of the same topic with its own key; yields it and its verifier key."""
    name = f"audit_private_{uuid.uuid4().hex[:6]}"
    key_file = tmp_path / "keys" / "private.key"
    created = subprocess.run(
        [str(REPO / ".venv/bin/suara-audit"), "keygen", "--out", str(key_file)], capture_output=True, text=True
    )
    assert created.returncode == 0, created.stderr
    process = AuditProcess(stack, name, f"suara_it_{name}", f"suara-audit-{name}", key_file)
    try:
        yield process, created.stdout.strip()
    finally:
        process.stop()
        stack.database.client.drop_database(f"suara_it_{name}")


def verify(bundle: Path, vkey: str, trusted: Path | None = None) -> int:
    return suara_verify([str(bundle), "--vkey", vkey, *(["--trusted-checkpoint", str(trusted)] if trusted else [])])


def test_events_flow_into_the_log_and_checkpoints_are_signed_by_the_logs_key(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, tmp_path: Path
) -> None:
    ids = complaint_flow(complaints, 3, "Jukir di Jl. Stasiun minta Rp5.000 tanpa karcis")
    size = audit_settled(stack)

    latest = audit_stub(ADDRESSES["audit"]).GetCheckpoint(audit_pb2.GetCheckpointRequest(), timeout=10)
    assert latest.tree_size == size >= 9
    assert note.verify(latest.note, [audit_vkey()]) == ["kedirikota.go.id/suara/audit"]
    leaves = [json.loads(d["data"]) for d in stack.database.audit_log.find({"complaint_id": {"$in": ids}})]
    assert sorted(leaf["event_type"] for leaf in leaves) == sorted(FLOW * 3)
    assert all("Jukir" not in json.dumps(leaf) for leaf in leaves), "no free text in clear"


def test_an_incremental_export_proves_it_extends_the_first_and_a_receipt_verifies(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, tmp_path: Path, capsys
) -> None:
    complaint_flow(complaints, 2, "Lampu PJU Jl. Hasanuddin mati")
    audit_settled(stack)
    first = tmp_path / "first"
    assert suara(["--audit", ADDRESSES["audit"], "audit", "export", "--out", str(first)]) == 0
    assert verify(first, audit_vkey()) == 0
    saved = max((first / "checkpoints").iterdir(), key=lambda p: int(p.stem))

    ids = complaint_flow(complaints, 2, "Sampah menumpuk di TPS Pasar Pahing")
    audit_settled(stack)
    second = tmp_path / "second"
    assert (
        suara(
            ["--audit", ADDRESSES["audit"], "audit", "export", "--out", str(second), "--since-checkpoint", str(saved)]
        )
        == 0
    )

    assert verify(second, audit_vkey(), trusted=saved) == 0
    assert f"extends your trusted checkpoint of size {saved.stem}" in capsys.readouterr().out
    event_id = json.loads((second / "entries.jsonl").read_text().splitlines()[-1])["event_id"]
    assert suara(["--audit", ADDRESSES["audit"], "audit", "receipt", event_id, "--out", str(tmp_path)]) == 0
    proof, leaf = tmp_path / f"{event_id}.tlog-proof", tmp_path / f"{event_id}.leaf.json"
    assert suara_verify(["receipt", str(proof), "--leaf", str(leaf), "--vkey", audit_vkey()]) == 0
    assert json.loads(leaf.read_bytes())["complaint_id"] in ids


def test_one_leaf_edited_in_the_store_is_caught_against_the_saved_checkpoint(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, private_log, tmp_path: Path, capsys
) -> None:
    log, vkey = private_log
    complaint_flow(complaints, 1, "Trotoar Jl. Dhoho dipakai parkir")
    size = log.settled(at_least=audit_settled(stack))
    saved = log.export(tmp_path / "before") / "checkpoints" / f"{size}.checkpoint"
    assert verify(tmp_path / "before", vkey) == 0

    victim = log.database.audit_log.find_one({"_id": f"{size // 2:012d}"})
    edited = bytes(victim["data"]).replace(b'"actor":{"id":"', b'"actor":{"id":"x')
    if edited == bytes(victim["data"]):
        edited = bytes(victim["data"]).replace(b'"sequence":', b'"sequence":1', 1)
    log.database.audit_log.update_one({"_id": victim["_id"]}, {"$set": {"data": Binary(edited)}})
    capsys.readouterr()

    assert verify(log.export(tmp_path / "after"), vkey, trusted=saved) == 1
    assert "TAMPERED: entries.jsonl" in capsys.readouterr().out


def test_deleting_the_newest_entries_and_re_signing_is_caught_against_the_saved_checkpoint(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, private_log, tmp_path: Path, capsys
) -> None:
    log, vkey = private_log
    complaint_flow(complaints, 2, "Ranting pohon di Jl. Veteran menjuntai, mohon dipangkas")
    size = log.settled(at_least=audit_settled(stack))
    saved = log.export(tmp_path / "before") / "checkpoints" / f"{size}.checkpoint"
    log.stop()

    # An operator with the signing key cuts the newest entries and signs the shorter tree as if it were all.
    cut = size - 4
    db = log.database
    db.audit_log.delete_many({"_id": {"$gte": f"{cut:012d}"}})
    db.audit_checkpoints.delete_many({"size": {"$gt": cut}})
    frontier = [
        bytes(db.audit_nodes.find_one({"_id": f"{level:02d}-{index:012d}"})["h"])
        for level, index in perfect_subtrees(0, cut)
    ]
    root = Frontier(cut, tuple(frontier)).root()
    db.audit_sequencer.update_one(
        {"_id": "sequencer"}, {"$set": {"size": cut, "frontier": [Binary(h) for h in frontier]}}
    )
    signer = Ed25519Signer.from_signer_key(Path(log.env["SUARA_AUDIT_SIGNING_KEY_FILE"]).read_text())
    db.audit_checkpoints.update_one(
        {"_id": f"{cut:012d}"},
        {
            "$set": {
                "size": cut,
                "root": Binary(root),
                "note": Binary(sign_note(checkpoint_body(signer.name, cut, root), [signer])),
            }
        },
        upsert=True,
    )
    exporter = AuditProcess(
        stack,
        "audit_operator",
        log.database.name,
        "suara-audit-operator-idle",
        Path(log.env["SUARA_AUDIT_SIGNING_KEY_FILE"]),
    )
    try:
        wait_until(
            lambda: exporter.checkpoint() is not None and exporter.checkpoint().tree_size >= cut,
            60,
            "the re-signed log",
        )
        shorter = tmp_path / "after"
        assert suara(["--audit", exporter.address, "audit", "export", "--out", str(shorter)]) == 0
    finally:
        exporter.stop()
    capsys.readouterr()

    assert verify(shorter, vkey, trusted=saved) == 1, "an auditor who kept the checkpoint sees the cut"
    assert "rollback" in capsys.readouterr().out


def test_two_audit_instances_at_once_never_fork_the_tree_and_log_each_event_once(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, private_log, tmp_path: Path
) -> None:
    log, vkey = private_log
    twin = AuditProcess(
        stack,
        "audit_twin",
        log.database.name,
        log.env["SUARA_AUDIT_CONSUMER_GROUP"],
        Path(log.env["SUARA_AUDIT_SIGNING_KEY_FILE"]),
    )
    try:
        complaint_flow(complaints, 3, "Drainase Jl. Brawijaya tersumbat")
        holder = (
            log
            if log.database.audit_sequencer.find_one({"_id": "sequencer"})["owner"].split("/")[1]
            == str(log.process.pid)
            else twin
        )
        holder.stop(signal.SIGKILL)  # the lease holder dies without releasing the lease
        complaint_flow(complaints, 3, "Drainase Jl. Brawijaya masih tersumbat")
        survivor = twin if holder is log else log
        size = survivor.settled(at_least=audit_settled(stack))
        bundle = survivor.export(tmp_path / "bundle")
    finally:
        twin.stop()

    keys = [d["key"] for d in log.database.audit_log.find({}, {"key": 1})]
    assert len(keys) == len(set(keys)) == size, "every event logged once, at consecutive indices"
    assert verify(bundle, vkey) == 0, "one tree: every checkpoint of both instances is consistent with the others"


def test_redelivery_of_every_event_adds_no_leaf(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, private_log, tmp_path: Path
) -> None:
    log, _ = private_log
    complaint_flow(complaints, 1, "Genangan air di underpass Jl. Semeru")
    size = log.settled(at_least=audit_settled(stack))
    log.stop()
    group = log.env["SUARA_AUDIT_CONSUMER_GROUP"]
    consumer = KafkaConsumer(
        bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"], group_id=group, enable_auto_commit=False
    )
    partitions = [TopicPartition(stack.events_topic, p) for p in consumer.partitions_for_topic(stack.events_topic)]
    consumer.assign(partitions)
    consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in partitions})  # read everything again
    consumer.close()
    first = log.database.audit_log.find_one({"_id": f"{0:012d}"})
    producer = KafkaProducer(bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"], acks="all")
    raw = next(iter(consumer_records(stack, json.loads(first["data"])["source"])))
    producer.send(stack.events_topic, key=b"again", value=raw).get(timeout=30)  # the same event, published twice
    producer.close()

    again = AuditProcess(
        stack, "audit_redelivered", log.database.name, group, Path(log.env["SUARA_AUDIT_SIGNING_KEY_FILE"])
    )
    try:
        stack.quiesce()
        wait_until(
            lambda: (
                again.database.audit_sequencer.find_one({"_id": "sequencer"})["owner"].split("/")[1]
                == str(again.process.pid)
            ),
            60,
            "the restarted log to take the lease",
        )
        end = sum(stack.end_offsets().values())
        wait_until(lambda: committed(stack, group) >= end, 120, "the redelivered events to be consumed")
        assert again.size() == size, "no leaf for a redelivered or republished event"
    finally:
        again.stop()


def consumer_records(stack: Stack, source: dict[str, Any]) -> Iterator[bytes]:
    consumer = KafkaConsumer(bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"])
    tp = TopicPartition(source["topic"], source["partition"])
    consumer.assign([tp])
    consumer.seek(tp, source["offset"])
    for records in consumer.poll(timeout_ms=5000, max_records=1).values():
        yield bytes(records[0].value)
    consumer.close()


def committed(stack: Stack, group: str) -> int:
    consumer = KafkaConsumer(
        bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"], group_id=group, enable_auto_commit=False
    )
    try:
        partitions = [TopicPartition(stack.events_topic, p) for p in consumer.partitions_for_topic(stack.events_topic)]
        return sum(consumer.committed(tp) or 0 for tp in partitions)
    finally:
        consumer.close()


def test_erasing_a_complaints_data_keeps_old_and_new_exports_verifying(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, private_log, tmp_path: Path
) -> None:
    log, vkey = private_log
    (complaint_id,) = complaint_flow(complaints, 1, "Tetangga Pak Joko membakar sampah tiap malam")
    log.settled(at_least=audit_settled(stack))
    before = log.export(tmp_path / "before")
    assert "Pak Joko" in (before / "disclosures.jsonl").read_text()

    assert suara(["--audit", log.address, "audit", "erase", complaint_id]) == 1, "erasure is not the auditor's"
    log_in("coordinator-diskominfo")
    assert suara(["--audit", log.address, "audit", "erase", complaint_id]) == 0
    log_in("auditor")
    after = log.export(tmp_path / "after")

    assert "Pak Joko" not in (after / "disclosures.jsonl").read_text()
    assert verify(before, vkey) == 0 and verify(after, vkey) == 0
    entries_before = (before / "entries.jsonl").read_bytes()
    assert (after / "entries.jsonl").read_bytes().startswith(entries_before)  # erasure never touches a leaf
    assert b"Pak Joko" not in entries_before  # the text was only ever a commitment in the log itself


def test_bytes_that_are_no_event_are_logged_with_their_hash_not_dead_lettered(stack: Stack) -> None:
    garbage = b"\xff\x00 not an event " + uuid.uuid4().bytes
    producer = KafkaProducer(bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"], acks="all")
    producer.send(stack.events_topic, key=b"garbage", value=garbage).get(timeout=30)
    producer.close()
    digest = hashlib.sha256(garbage).hexdigest()

    leaf = wait_until(lambda: stack.database.audit_log.find_one({"key": f"sha256:{digest}"}), 60, "the garbage's leaf")

    logged = json.loads(leaf["data"])
    assert logged["event_sha256"] == digest and logged["payload"]["undecodable"].startswith("not a protobuf")


def denial(call: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


def test_the_audit_service_answers_auditors_and_the_coordinator_only(stack: Stack) -> None:
    audit_settled(stack)
    request = audit_pb2.GetCheckpointRequest()

    coordinator = audit_stub(ADDRESSES["audit"], "coordinator-diskominfo").GetCheckpoint(request, timeout=10)
    officer = denial(lambda: audit_stub(ADDRESSES["audit"], "officer-dpupr").GetCheckpoint(request, timeout=10))
    anonymous = denial(lambda: audit_stub(ADDRESSES["audit"], None).GetCheckpoint(request, timeout=10))
    head = audit_stub(ADDRESSES["audit"], "head-dlhkp")
    export = denial(lambda: list(head.ExportBundle(audit_pb2.ExportBundleRequest(), timeout=10)))

    assert coordinator.tree_size > 0
    assert officer.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (
        officer.details()
        == "reading the audit log's checkpoints needs role auditor or coordinator; you are officer of DPUPR"
    )
    assert anonymous.code() == grpc.StatusCode.UNAUTHENTICATED
    assert export.code() == grpc.StatusCode.PERMISSION_DENIED and "head of DLHKP" in export.details()


def test_the_integrator_that_submitted_a_complaint_gets_its_receipt_and_another_does_not(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    (complaint_id,) = complaint_flow(complaints, 1, "Parkir liar di depan Pasar Setono Betek")
    audit_settled(stack)
    trace = complaints.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=complaint_id), timeout=10)
    submitted = next(e.event_id for e in trace.events if e.event_type == "ComplaintSubmitted")
    routed = next(e.event_id for e in trace.events if e.event_type == "ComplaintRouted")

    own = [
        audit_stub(ADDRESSES["audit"], "integrator-112").GetReceipt(audit_pb2.GetReceiptRequest(event_id=e), timeout=10)
        for e in (submitted, routed)
    ]
    other = denial(
        lambda: audit_stub(ADDRESSES["audit"], "integrator-portal").GetReceipt(
            audit_pb2.GetReceiptRequest(event_id=submitted), timeout=10
        )
    )

    assert [json.loads(r.leaf)["event_id"] for r in own] == [submitted, routed]
    assert other.code() == grpc.StatusCode.PERMISSION_DENIED
    assert other.details() == (
        f"a receipt of event {submitted} is for the integrator that submitted it; you are integrator web-portal"
    )
