"""`suara replay --check` on the real broker and store: clean after a flow, and it names what was altered."""

from __future__ import annotations

import uuid

import pytest
from bson.binary import Binary
from harness import Stack, submit, trace_types, wait_until

from suara.v1 import complaints_pb2_grpc
from suara_cli.main import main as suara

pytestmark = pytest.mark.integration
FLOW = ["ComplaintSubmitted", "ComplaintRouted", "StaffNotified"]


def replay_check(stack: Stack, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    env = stack.env
    status = suara(
        [
            "replay",
            "--check",
            "--kafka",
            env["SUARA_KAFKA_BOOTSTRAP"],
            "--mongo",
            env["SUARA_MONGO_URL"],
            "--database",
            env["SUARA_MONGO_DB"],
            "--topic",
            stack.events_topic,
        ]
    )
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_replay_check_is_clean_after_a_flow_and_names_an_altered_read_model_or_journal(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, capsys: pytest.CaptureFixture[str]
) -> None:
    receipts = [
        submit(complaints, "Jalan berlubang di Jl. Dhoho depan toko, bahaya buat motor.", "jalan_rusak", "Kemasan"),
        submit(complaints, "Sampah menumpuk di pinggir jalan dekat Pasar Setono Betek.", "", ""),
    ]
    for receipt in receipts:
        wait_until(lambda r=receipt: trace_types(complaints, r.complaint_id) == FLOW, 60, "the complaint to finish")
    stack.quiesce()

    status, output = replay_check(stack, capsys)
    assert status == 0, output
    assert "check: clean" in output
    assert not [c for c in stack.database.list_collection_names() if c.startswith("replay_")], "fresh ones dropped"

    # A live read model altered behind the projector's back is named, document and field.
    altered = receipts[0].complaint_id
    timeline = stack.database.timeline
    original = timeline.find_one({"_id": altered})
    timeline.update_one({"_id": altered}, {"$set": {"events.2.event_type": "Forged"}})
    try:
        status, output = replay_check(stack, capsys)
    finally:
        timeline.replace_one({"_id": altered}, original)
    assert status == 1, output
    assert f"timeline: document {altered} differs from the replay in events" in output

    # An event the journal says was published but the topic never carried is named too.
    ghost = str(uuid.uuid4())
    stack.database.journal.insert_one(
        {
            "_id": f"{ghost}:0000000001",
            "event_id": str(uuid.uuid4()),
            "complaint_id": ghost,
            "sequence": 1,
            "event_type": "ComplaintSubmitted",
            "data": Binary(b"never published"),
            "published": True,
        }
    )
    try:
        status, output = replay_check(stack, capsys)
    finally:
        stack.database.journal.delete_one({"_id": f"{ghost}:0000000001"})
    assert status == 1, output
    assert f"complaint {ghost}: event 1" in output and "is published but not on the topic" in output
