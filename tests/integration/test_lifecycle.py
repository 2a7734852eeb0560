"""The issue-5 journey on the real broker and store, through the real services, as the people in it: an officer
acknowledges and hands back; the router re-dispatches to another OPD; the second hand-back puts it on the
coordinator's desk; the coordinator decides; the officer can no longer hand it back; it is resolved; the citizen
reopens; the trace tells the story with names and roles; replay --check is clean."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from harness import ADDRESSES, Stack, authenticated, log_in, submit, wait_until

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_cli.main import main as suara

pytestmark = pytest.mark.integration


class Person:
    """CaseworkService as one demo user."""

    def __init__(self, channel: grpc.Channel, username: str) -> None:
        self.stub = api_grpc.CaseworkServiceStub(authenticated(channel, username))

    def view(self, reference: str) -> api.ComplaintView:
        return self.stub.GetComplaint(api.GetComplaintRequest(reference=reference), timeout=10)

    def command(self, method: str, complaint_id: str, **fields: Any) -> api.CommandReply:
        """As a person does: read the complaint, act on the version seen; told it changed (the view lagged a
        notification), read again and act again, with the same key."""
        key = f"it-{uuid.uuid4()}"
        for _ in range(20):
            try:
                return self._command(method, complaint_id, key, **fields)
            except grpc.RpcError as error:
                if error.code() is not grpc.StatusCode.ABORTED:
                    raise
                time.sleep(0.5)
        return self._command(method, complaint_id, key, **fields)

    def _command(self, method: str, complaint_id: str, key: str, **fields: Any) -> api.CommandReply:
        header = api.CommandHeader(
            complaint_id=complaint_id, expected_version=self.view(complaint_id).version, idempotency_key=key
        )
        if method in ("Acknowledge", "ConfirmResolved"):
            request: Any = header
        elif method in ("Resolve", "PostFollowUp", "AddInfo"):
            request = api.TextRequest(header=header, **fields)
        elif method in ("Reopen", "Archive"):
            request = api.ReasonRequest(header=header, **fields)
        else:
            request = getattr(api, f"{method}Request")(header=header, **fields)
        return getattr(self.stub, method)(request, timeout=10)


@pytest.fixture(scope="module")
def channel(stack: Stack) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(ADDRESSES["casework"]) as open_channel:
        yield open_channel


def queued(person: Person) -> list[str]:
    """Every complaint id in the person's OPD queue, page by page."""
    return _every(
        lambda token: person.stub.ListQueue(api.ListQueueRequest(page_size=200, page_token=token), timeout=10)
    )


def on_desk(person: Person) -> list[str]:
    """Every complaint id on the coordinator's desk, page by page."""
    return _every(lambda t: person.stub.ListDesk(api.ListDeskRequest(page_size=200, page_token=t), timeout=10))


def _every(page_of: Any) -> list[str]:
    ids: list[str] = []
    token = ""
    while True:
        page = page_of(token)
        ids += [c.complaint_id for c in page.complaints]
        token = page.next_page_token
        if not token:
            return ids


def shows(person: Person, complaint_id: str, status: str, opd: str | None = None) -> bool:
    try:
        view = person.view(complaint_id)
    except grpc.RpcError:
        return False
    return view.status == status and (opd is None or view.opd == opd)


def test_hand_back_redispatch_cap_decision_resolve_reopen_and_the_trace_tells_it(
    stack: Stack,
    complaints: complaints_pb2_grpc.ComplaintServiceStub,
    channel: grpc.Channel,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dpupr, dlhkp = Person(channel, "officer-dpupr"), Person(channel, "officer-dlhkp")
    coordinator, citizen = Person(channel, "coordinator-diskominfo"), Person(channel, "integrator-112")
    receipt = submit(
        complaints, "Jalan di depan SDN Mojoroto 3 berlubang dalam, motor sering jatuh.", "jalan_rusak", "Mojoroto"
    )
    complaint_id = receipt.complaint_id
    wait_until(lambda: shows(dpupr, complaint_id, "dispatched", "DPUPR"), 90, "the complaint in DPUPR's view")

    assert complaint_id in queued(dpupr), "in DPUPR's queue (earlier tests' complaints fill its first pages)"

    dpupr.command("Acknowledge", complaint_id)
    dpupr.command("HandBack", complaint_id, reason="jalan provinsi? bukan wewenang kami", suggested_opd="DLHKP")
    wait_until(lambda: shows(coordinator, complaint_id, "dispatched", "DLHKP"), 90, "the router's re-dispatch to DLHKP")

    handed = dlhkp.command("HandBack", complaint_id, reason="bukan urusan kebersihan")
    assert handed.status == "needs_coordinator"
    wait_until(lambda: complaint_id in on_desk(coordinator), 60, "the complaint on the coordinator's desk")

    coordinator.command("DecideOwner", complaint_id, opd="DPUPR", reason="jalan kota: DPUPR")
    wait_until(lambda: shows(dpupr, complaint_id, "dispatched", "DPUPR"), 60, "the decision in DPUPR's view")
    with pytest.raises(grpc.RpcError) as refused:
        dpupr.command("HandBack", complaint_id, reason="tetap bukan kami")
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    dpupr.command("Acknowledge", complaint_id)
    wait_until(lambda: shows(dpupr, complaint_id, "acknowledged"), 60, "the acknowledgement in the view")
    dpupr.command("Resolve", complaint_id, text="Lubang sudah ditambal hari ini.")
    wait_until(lambda: shows(citizen, complaint_id, "resolved"), 60, "the resolution in the citizen's view")
    assert citizen.command("Reopen", complaint_id, reason="tambalan sudah rusak lagi").status == "reopened"

    # Another OPD's officer sees nothing of a complaint its OPD never held, and cannot act on it; no token, no answer.
    other = submit(complaints, "Lampu PJU di Jl. Dhoho mati sejak kemarin malam.", "pju", "Kemasan")
    wait_until(lambda: shows(coordinator, other.complaint_id, "dispatched", "DISHUB"), 90, "the other complaint routed")
    with pytest.raises(grpc.RpcError) as unseen:
        dlhkp.view(other.complaint_id)
    assert unseen.value.code() is grpc.StatusCode.NOT_FOUND
    header = api.CommandHeader(complaint_id=other.complaint_id, idempotency_key=f"it-{uuid.uuid4()}")
    with pytest.raises(grpc.RpcError) as not_theirs:
        dlhkp.stub.Acknowledge(header, timeout=10)
    assert not_theirs.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with grpc.insecure_channel(ADDRESSES["intake"]) as intake_channel:
        tracing = complaints_pb2_grpc.ComplaintServiceStub(authenticated(intake_channel, "officer-dlhkp"))
        with pytest.raises(grpc.RpcError) as untraced:
            tracing.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=other.tracking_number), timeout=10)
    assert untraced.value.code() is grpc.StatusCode.NOT_FOUND
    with grpc.insecure_channel(ADDRESSES["casework"]) as bare, pytest.raises(grpc.RpcError) as anonymous:
        api_grpc.CaseworkServiceStub(bare).GetComplaint(api.GetComplaintRequest(reference=complaint_id), timeout=10)
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED

    log_in("coordinator-diskominfo")
    wait_until(lambda: _traced(capsys, receipt.tracking_number).count("ComplaintReopened") == 1, 60, "the full trace")
    story = _traced(capsys, receipt.tracking_number)
    for expected in (
        "Agus Prasetyo (officer DPUPR)",
        "Dewi Kusumawati (officer DLHKP)",
        "Rina Wulandari (coordinator DISKOMINFO)",
        "(integrator)",
        "ComplaintHandedBack",
        "OwnerDecided",
    ):
        assert expected in story, f"{expected} missing from the trace:\n{story}"


def _traced(capsys: pytest.CaptureFixture[str], reference: str) -> str:
    capsys.readouterr()
    suara(["--intake", ADDRESSES["intake"], "trace", reference])
    return capsys.readouterr().out
