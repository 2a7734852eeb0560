"""Crashes and bad input while complaints flow: nothing is lost, nothing is done twice, nothing stops."""

from __future__ import annotations

import email
import email.policy
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from harness import (
    ADDRESSES,
    REPO,
    Stack,
    audit_settled,
    audit_vkey,
    log_in,
    replay_check,
    submit,
    trace_types,
    wait_until,
)
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from suara.v1 import complaints_pb2_grpc
from suara_cli.main import main as suara

pytestmark = pytest.mark.integration
FLOW = ["ComplaintSubmitted", "ComplaintRouted", "StaffNotified"]
# What a caller may be told while a service restarts: try again with the same key.
RETRYABLE = {grpc.StatusCode.UNAVAILABLE}


@dataclass
class Submitted:
    complaint_id: str
    tracking_number: str


def submit_in_background(
    stub: complaints_pb2_grpc.ComplaintServiceStub, count: int, pause: float
) -> tuple[list[Submitted], threading.Thread]:
    """Submit `count` complaints as an integrator does: each with its own key, retried with that same key until
    intake acknowledges it (intake may be down, or answer UNAVAILABLE)."""
    acknowledged: list[Submitted] = []

    def work() -> None:
        for i in range(count):
            key = f"it-resilience-{uuid.uuid4()}"
            # A plainly everyday matter: this test is about delivery, so no text near the emergency head's threshold
            # (a leaning tree over a road once scored 0.12 against 0.106: a possible emergency, one more alert).
            text = f"Sampah menumpuk di TPS Jl. PB Sudirman belum diangkut, nomor {i}."
            deadline = time.monotonic() + 120
            while True:
                try:
                    receipt = submit(stub, text, "sampah", "Kemasan", key=key)
                    break
                except grpc.RpcError as error:
                    assert error.code() in RETRYABLE, f"{error.code()}: {error.details()}"
                    assert time.monotonic() < deadline, f"complaint {i} not accepted in 120 s"
                    time.sleep(0.2)
            acknowledged.append(Submitted(receipt.complaint_id, receipt.tracking_number))
            time.sleep(pause)

    thread = threading.Thread(target=work)
    thread.start()
    return acknowledged, thread


def mails_by_tracking_number(stack: Stack) -> dict[str, list[str]]:
    """The Message-IDs of the mails in the sink, per tracking number (taken from the subject)."""
    found: dict[str, list[str]] = defaultdict(list)
    for text in stack.mails():
        mail = email.message_from_string(text, policy=email.policy.default)
        subject = str(mail["Subject"])
        for word in subject.split():
            if word.startswith("KDR-"):
                found[word].append(str(mail["Message-ID"]))
    return found


@pytest.mark.parametrize("victim", ["router", "audit", "intake", "notifier", "casework"])
def test_kill_9_while_complaints_flow_loses_nothing_and_duplicates_nothing(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, victim: str, tmp_path: Path
) -> None:
    submitted, submitter = submit_in_background(complaints, 60, 0.05)
    wait_until(lambda: len(submitted) >= 15, 60, "the first complaints to be submitted")
    stack.kill9(victim)
    if victim == "intake":
        time.sleep(3)  # the submitter keeps retrying against a dead intake meanwhile
    else:
        wait_until(lambda: len(submitted) >= 35, 60, "more complaints to be submitted while the victim is down")
    stack.start(victim)
    submitter.join(timeout=180)
    assert len(submitted) == 60
    ids = [s.complaint_id for s in submitted]
    assert len(set(ids)) == 60, "each acknowledged complaint is a different complaint"

    wait_until(lambda: all(trace_types(complaints, c) == FLOW for c in ids), 180, "every complaint to finish")
    journal = stack.database.journal
    for event_type in FLOW:
        counted = Counter(
            d["complaint_id"] for d in journal.find({"complaint_id": {"$in": ids}, "event_type": event_type})
        )
        assert all(counted[c] == 1 for c in ids), f"each complaint has exactly one {event_type}"

    journal_ids = {d["event_id"] for d in journal.find({"complaint_id": {"$in": ids}}, {"event_id": 1})}
    assert len(journal_ids) == 3 * len(ids)
    audit = stack.database.audit_log

    def audited() -> Counter[str]:
        return Counter(d["event_id"] for d in audit.find({"complaint_id": {"$in": ids}}, {"event_id": 1}))

    wait_until(lambda: set(audited()) == journal_ids, 120, "every event of these complaints to be in the audit log")
    stack.quiesce()
    logged = audited()
    assert max(logged.values()) == 1, "no event logged twice"

    mails = mails_by_tracking_number(stack)
    for complaint in submitted:
        message_ids = mails[complaint.tracking_number]
        assert message_ids, f"no mail for {complaint.tracking_number}"
        assert len(set(message_ids)) == 1, "a mail sent again carries the same Message-ID"
        if victim != "notifier":
            assert len(message_ids) == 1, f"{complaint.tracking_number} mailed {len(message_ids)} times"
    out = tmp_path / "export"
    audit_settled(stack)
    log_in("auditor")
    assert suara(["--audit", ADDRESSES["audit"], "audit", "export", "--out", str(out)]) == 0
    assert suara(["audit", "verify", str(out), "--vkey", audit_vkey()]) == 0
    # Every appended event published, none left out of the outbox (events the deadline clock keeps appending for
    # earlier tests' complaints pass through the outbox too: wait for it to drain rather than catch it mid-flight).
    wait_until(lambda: stack.database.journal_outbox.count_documents({}) == 0, 60, "the relay to empty the outbox")
    wait_until(lambda: stack.database.journal.count_documents({"published": False}) == 0, 60, "every event published")
    if victim == "casework":  # the last victim: the read models of the whole run still match a replay
        checked = replay_check(stack)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_undecodable_message_goes_to_the_dead_letter_topic_and_consumers_keep_going(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    producer = KafkaProducer(bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"], acks="all")
    metadata = producer.send(stack.events_topic, key=b"garbage", value=b"\xff\x00 not an event").get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=stack.env["SUARA_KAFKA_BOOTSTRAP"], auto_offset_reset="earliest")
    consumer.assign([TopicPartition(stack.deadletter_topic, 0)])
    consumer.seek_to_beginning()
    groups: set[str] = set()

    def dead_lettered_by_every_consumer() -> bool:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                headers = dict(record.headers)
                if (
                    headers["suara.source_offset"] == str(metadata.offset).encode()
                    and record.value == b"\xff\x00 not an event"
                ):
                    assert headers["suara.error_type"] == b"UndecodableEvent"
                    groups.add(headers["suara.consumer_group"].decode())
        # The audit log logs what it cannot read (its hash and why) instead of dead-lettering it.
        return groups >= {"suara-router", "suara-notifier", "suara-intake-timeline"}

    wait_until(dead_lettered_by_every_consumer, 60, "the bad message to be dead-lettered by all four consumers")
    consumer.close()
    receipt = submit(
        complaints, "Rambu dilarang parkir di Jl. Dhoho miring dan tulisannya pudar.", "rambu_lalu_lintas", "Kemasan"
    )
    wait_until(lambda: trace_types(complaints, receipt.complaint_id) == FLOW, 60, "a later complaint to be processed")


def test_the_timeline_is_rebuilt_from_the_log_after_it_is_dropped(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    receipt = submit(complaints, "Antrean cetak KK di Mal Pelayanan Publik lama sekali.", "adminduk", "Kemasan")
    wait_until(lambda: trace_types(complaints, receipt.complaint_id) == FLOW, 60, "the complaint to finish")
    stack.quiesce()
    before = stack.database.timeline.count_documents({})

    stack.run("stop", "intake")
    rebuilt = subprocess.run(
        [str(REPO / ".venv/bin/suara-intake"), "rebuild-timeline"], env=stack.env, capture_output=True, text=True
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert stack.database.timeline.count_documents({}) == 0
    stack.start("intake")

    wait_until(lambda: trace_types(complaints, receipt.tracking_number) == FLOW, 120, "the replayed timeline")
    wait_until(lambda: stack.database.timeline.count_documents({}) == before, 120, "every event to be replayed")
