"""The three users' journeys end to end, on the real broker and store, through the real service processes."""

from __future__ import annotations

import json
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from harness import ADDRESSES, REPO, Stack, audit_settled, audit_vkey, log_in, submit, trace_types, wait_until

from suara.v1 import complaints_pb2, complaints_pb2_grpc, events_pb2
from suara_cli.main import main as suara

pytestmark = pytest.mark.integration
FLOW = ["ComplaintSubmitted", "ComplaintRouted", "StaffNotified"]


def examples() -> list[dict[str, str]]:
    with open(REPO / "data/kota-kediri/examples.toml", "rb") as f:
        return list(tomllib.load(f)["example"])


def outside_city(agency: str) -> bool:
    """An agency the city cannot dispatch to (PLN, the police, the province …): the coordinator forwards."""
    with open(REPO / "data/kota-kediri/agencies.toml", "rb") as f:
        entry = next(a for a in tomllib.load(f)["agency"] if a["code"] == agency)
    return bool(entry["kind"] == "external" and not entry.get("city_owned", False))


def alerted(routed: events_pb2.ComplaintRouted) -> list[str]:
    """The agencies a routing alerts: its agency, every other emergency responder, the desk when it must act."""
    agencies = [routed.opd_code, *routed.responders, *([routed.coordinator_desk] if routed.needs_coordinator else [])]
    return list(dict.fromkeys(agencies))


def notified(stub: complaints_pb2_grpc.ComplaintServiceStub, reference: str) -> bool:
    """Submitted, routed, and one StaffNotified per agency the routing alerts (one contact each in staff.toml)."""
    trace = stub.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=reference), timeout=10)
    types = [e.event_type for e in trace.events]
    if types[:2] != FLOW[:2]:
        return False
    return types[2:] == ["StaffNotified"] * len(alerted(trace.events[1].complaint_routed))


def test_200_concurrent_complaints_are_routed_notified_and_audited(
    stack: Stack,
    complaints: complaints_pb2_grpc.ComplaintServiceStub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cases = [examples()[i % 40] for i in range(200)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        receipts = list(pool.map(lambda c: submit(complaints, c["text"], c["category"], c["kelurahan"]), cases))
    assert len({r.complaint_id for r in receipts}) == 200

    def all_done() -> bool:
        return all(notified(complaints, r.complaint_id) for r in receipts)

    wait_until(all_done, 240, "all 200 complaints to be Submitted, Routed and Notified")
    alerts = {}
    for case, receipt in zip(cases, receipts, strict=True):
        trace = complaints.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=receipt.tracking_number))
        assert trace.complaint_id == receipt.complaint_id
        routed = trace.events[1].complaint_routed
        assert [e.sequence for e in trace.events] == list(range(1, 3 + len(alerted(routed))))
        assert routed.category == case["category"]
        if case["emergency"]:
            assert (routed.emergency, routed.priority) == (True, events_pb2.PRIORITY_DARURAT), case["text"]
        if outside_city(case["opd"]):  # never dispatched to directly: marked, and forwarded by the coordinator
            assert routed.outside_authority == case["opd"], case["text"]
            assert routed.needs_coordinator
            assert routed.opd_code == (routed.responders[0] if routed.emergency else routed.coordinator_desk)
        else:
            assert routed.opd_code == case["opd"], case["text"]
        notifications = [e for e in trace.events[2:]]
        assert [n.staff_notified.opd_code for n in notifications] == alerted(routed)
        for notification in notifications:
            assert notification.staff_notified.outcome == events_pb2.NOTIFICATION_OUTCOME_DELIVERED
            assert notification.causation_id == trace.events[1].event_id
        alerts[receipt.tracking_number] = len(notifications)

    mails = stack.mails()
    for tracking_number, count in alerts.items():
        # Counted by the alert's own line: a possible duplicate's alert names the earlier complaint's number too.
        about = sum(f"Nomor lacak : {tracking_number}" in m for m in mails)
        assert about == count, f"one alert mail per agency for {tracking_number}"

    audit_settled(stack)
    out = tmp_path / "export"
    log_in("auditor")
    assert suara(["--audit", ADDRESSES["audit"], "audit", "export", "--out", str(out)]) == 0
    assert suara(["audit", "verify", str(out), "--vkey", audit_vkey()]) == 0
    assert "VALID" in capsys.readouterr().out
    logged = {json.loads(line)["event_id"] for line in (out / "entries.jsonl").read_text().splitlines()}
    for receipt in receipts:
        trace = complaints.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=receipt.complaint_id))
        assert {e.event_id for e in trace.events} <= logged


def test_trace_by_tracking_number_shows_routing_reason_and_recipient(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = submit(complaints, "Lampu PJU di Jl. Sersan Suharmaji mati sudah seminggu, gelap.", "pju", "Manisrenggo")
    wait_until(lambda: trace_types(complaints, receipt.tracking_number) == FLOW, 60, "the complaint to be notified")
    capsys.readouterr()
    log_in("coordinator-diskominfo")
    assert suara(["--intake", ADDRESSES["intake"], "trace", receipt.tracking_number]) == 0
    printed = capsys.readouterr().out
    assert "ComplaintRouted" in printed and "DISHUB" in printed and "R-" in printed
    assert "penghubung.dishub@kedirikota.example" in printed


def test_resubmitting_with_the_same_idempotency_key_returns_the_same_complaint_and_adds_no_event(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    key = f"retry-{uuid.uuid4()}"
    text = "Sampah menumpuk di TPS dekat Pasar Pahing sudah tiga hari belum diangkut."
    first = submit(complaints, text, "sampah", "Ngadirejo", key=key)
    wait_until(lambda: trace_types(complaints, first.complaint_id) == FLOW, 60, "the first submission to finish")
    before = stack.quiesce()
    journal_before = stack.database.journal.count_documents({"complaint_id": first.complaint_id})

    again = submit(complaints, text, "sampah", "Ngadirejo", key=key)

    assert (again.complaint_id, again.tracking_number, again.replayed) == (
        first.complaint_id,
        first.tracking_number,
        True,
    )
    assert not first.replayed
    assert stack.quiesce() == before
    assert stack.database.journal.count_documents({"complaint_id": first.complaint_id}) == journal_before == 3
    assert trace_types(complaints, first.complaint_id) == FLOW


def test_reusing_an_idempotency_key_for_a_different_complaint_is_refused(
    complaints: complaints_pb2_grpc.ComplaintServiceStub,
) -> None:
    key = f"reuse-{uuid.uuid4()}"
    submit(complaints, "Saluran air di Jl. Dr. Saharjo mampet, air meluap.", "drainase", "Pakunden", key=key)
    with pytest.raises(grpc.RpcError) as refused:
        submit(complaints, "Ada pungutan uang gedung di SD negeri, katanya gratis?", "pendidikan", "Pojok", key=key)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "idempotency_key" in refused.value.details()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"category": "bukan_kategori"}, "category"),
        ({"kelurahan": "Desa Semen"}, "kelurahan"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"source_channel": 0}, "source_channel"),
        ({"reporter": complaints_pb2.ReporterContact(email="not-an-address")}, "reporter.email"),
    ],
)
def test_an_invalid_request_gets_invalid_argument_naming_the_field_and_nothing_reaches_kafka(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, change: dict[str, object], field: str
) -> None:
    request = {
        "idempotency_key": f"bad-{uuid.uuid4()}",
        "text": "Jalan Merbabu berlubang besar, dua motor jatuh.",
        "category": "jalan_rusak",
        "kelurahan": "Mrican",
        "source_channel": 4,
        **change,
    }
    before = stack.quiesce(quiet_seconds=1.5)
    with pytest.raises(grpc.RpcError) as refused:
        complaints.SubmitComplaint(complaints_pb2.SubmitComplaintRequest(**request), timeout=10)  # type: ignore[arg-type]
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(f"{field}:")
    assert stack.end_offsets() == before
