"""Routing that reads the text, on the real broker and store through the real service processes: complaints
submitted over gRPC WITHOUT a category are dispatched, flagged as emergencies with every responder alerted, put on
the coordinator's desk, or marked possible duplicates; and the router's store of recent complaints passes the
same contract as its in-memory fake, on the real store.

The texts are unmistakable on purpose (a fire, a PLN outage in a Kabupaten village, a question that is equally
about tax and a permit, a near-copy), so the outcomes do not hinge on a borderline score of one trained model."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from harness import ADDRESSES, Infra, Stack, log_in, submit, wait_until
from pymongo import MongoClient
from recent_complaints_contract import RecentComplaintsContract

from suara.v1 import complaints_pb2, complaints_pb2_grpc, events_pb2
from suara_cli.main import main as suara
from suara_router.adapters.recent_complaints import MongoRecentComplaints

pytestmark = pytest.mark.integration
DESK = "DISKOMINFO"
POTHOLE = "Aspal jalan di depan SD Bujel ambles dan berlubang besar, jalan rusak parah, mohon segera diperbaiki DPUPR."
NEAR_COPY = (
    "Aspal jln di depan SD Bujel ambles dan berlubang besar, jalan rusak parah, mohon segera diperbaiki DPUPR ya."
)
FIRE = "Tolong!! Ada kebakaran rumah di Kelurahan Banjaran, api sudah besar dan asap hitam, kirim pemadam sekarang!"
PLN_IN_KABUPATEN = "Listrik PLN padam total sejak kemarin sore di Desa Sumberejo Kecamatan Ngasem, trafo PLN meledak."
TAX_OR_PERMIT = "Mau tanya soal tagihan pajak PBB rumah saya dan juga izin usaha toko saya, mana yang diurus dulu?"


@dataclass
class Mail:
    to: str
    subject: str
    body: str


def mails_about(stack: Stack, tracking_number: str) -> list[Mail]:
    found = []
    for raw in stack.mails():
        message = email.message_from_string(raw, policy=email.policy.default)
        body = message.get_content()  # type: ignore[attr-defined]  # an EmailMessage under the default policy
        if tracking_number in str(message["Subject"]) or tracking_number in body:
            found.append(Mail(str(message["To"]), str(message["Subject"]), body))
    return found


def wait_for_mails(stack: Stack, tracking_number: str, count: int) -> list[Mail]:
    def arrived() -> list[Mail] | None:
        mails = mails_about(stack, tracking_number)
        return mails if len(mails) >= count else None

    mails = wait_until(arrived, 30, f"{count} mails about {tracking_number}")
    assert len(mails) == count, f"more mails than alerts about {tracking_number}"
    return mails


def routed_and_notified(
    complaints: complaints_pb2_grpc.ComplaintServiceStub, reference: str, notifications: int
) -> complaints_pb2.TraceComplaintResponse:
    """The complaint's trace once it is routed and `notifications` StaffNotified are recorded."""

    def done() -> complaints_pb2.TraceComplaintResponse | None:
        try:
            trace = complaints.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=reference), timeout=10)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # not projected into the timeline yet
                return None
            raise
        types = [e.event_type for e in trace.events]
        if types[:2] == ["ComplaintSubmitted", "ComplaintRouted"] and types.count("StaffNotified") >= notifications:
            return trace
        return None

    return wait_until(done, 90, f"{reference} to be routed and {notifications} staff notified")


def notified(trace: complaints_pb2.TraceComplaintResponse) -> list[tuple[str, str, int]]:
    return [
        (e.staff_notified.opd_code, e.staff_notified.recipient, e.staff_notified.outcome)
        for e in trace.events
        if e.event_type == "StaffNotified"
    ]


def without_category(stub: complaints_pb2_grpc.ComplaintServiceStub, text: str, kelurahan: str) -> Any:
    return submit(stub, text, "", kelurahan, key=f"it-text-{uuid.uuid4()}")


def test_a_clear_complaint_without_category_is_dispatched_and_a_near_copy_flagged_as_its_possible_duplicate(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub, capsys: pytest.CaptureFixture[str]
) -> None:
    first = without_category(complaints, POTHOLE, "Bujel")
    trace = routed_and_notified(complaints, first.tracking_number, 1)
    routed = trace.events[1].complaint_routed
    assert (routed.opd_code, routed.category) == ("DPUPR", "jalan_rusak")
    assert routed.category_source == events_pb2.CATEGORY_SOURCE_PROPOSED
    assert trace.events[0].complaint_submitted.category == ""
    assert not (routed.needs_coordinator or routed.emergency or routed.outside_authority)
    assert routed.routing_model_version and len(routed.alternatives) == 3 and routed.top_terms
    assert routed.possible_duplicate_of == ""
    assert notified(trace) == [
        ("DPUPR", "penghubung.dpupr@kedirikota.example", events_pb2.NOTIFICATION_OUTCOME_DELIVERED)
    ]

    copy = without_category(complaints, NEAR_COPY, "Bujel")
    trace = routed_and_notified(complaints, copy.tracking_number, 1)
    routed = trace.events[1].complaint_routed
    assert routed.possible_duplicate_of == first.complaint_id
    assert routed.possible_duplicate_tracking_number == first.tracking_number
    assert 0 < routed.duplicate_similarity <= 1
    assert routed.opd_code == "DPUPR"  # flagged, never merged: routed as it would be anyway
    stack.quiesce(quiet_seconds=2)
    assert [
        e.event_type
        for e in complaints.TraceComplaint(
            complaints_pb2.TraceComplaintRequest(reference=copy.tracking_number), timeout=10
        ).events
    ].count("StaffNotified") == 1
    (mail,) = wait_for_mails(stack, copy.tracking_number, 1)
    assert f"possible duplicate of {first.tracking_number}" in mail.body

    capsys.readouterr()
    log_in("coordinator-diskominfo")
    assert suara(["--intake", ADDRESSES["intake"], "trace", copy.tracking_number]) == 0
    printed = capsys.readouterr().out
    assert "(proposed), confidence" in printed and "top-3 jalan_rusak>DPUPR" in printed
    assert f"possible duplicate of {first.tracking_number}" in printed


def test_a_fire_reported_without_category_is_darurat_and_every_responder_is_mailed(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    receipt = without_category(complaints, FIRE, "Banjaran")

    trace = routed_and_notified(complaints, receipt.tracking_number, 2)

    routed = trace.events[1].complaint_routed
    assert (routed.emergency, routed.emergency_kind, routed.priority) == (
        True,
        "kebakaran",
        events_pb2.PRIORITY_DARURAT,
    )
    assert list(routed.responders) == ["DAMKAR", "BPBD"]
    due_minutes = (routed.due_at.ToDatetime() - trace.events[0].occurred_at.ToDatetime()).total_seconds() / 60
    assert due_minutes == 60
    assert sorted(notified(trace)) == [
        ("BPBD", "penghubung.bpbd@kedirikota.example", events_pb2.NOTIFICATION_OUTCOME_DELIVERED),
        ("DAMKAR", "penghubung.damkar@kedirikota.example", events_pb2.NOTIFICATION_OUTCOME_DELIVERED),
    ]
    mails = wait_for_mails(stack, receipt.tracking_number, 2)
    assert sorted(m.to for m in mails) == ["penghubung.bpbd@kedirikota.example", "penghubung.damkar@kedirikota.example"]
    assert all(m.subject.startswith("[Suara] DARURAT: ") for m in mails)


def test_a_pln_outage_in_a_kabupaten_village_is_marked_outside_and_put_on_the_coordinators_desk(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    receipt = without_category(complaints, PLN_IN_KABUPATEN, "Ngadirejo")

    trace = routed_and_notified(complaints, receipt.tracking_number, 1)

    routed = trace.events[1].complaint_routed
    assert routed.outside_authority in ("PLN", "KABUPATEN_KEDIRI")
    assert (routed.opd_code, routed.needs_coordinator, routed.coordinator_desk) == (DESK, True, DESK)
    assert [agency for agency, _, _ in notified(trace)] == [DESK]
    (mail,) = wait_for_mails(stack, receipt.tracking_number, 1)
    assert mail.to == "penghubung.diskominfo@kedirikota.example"
    assert mail.subject.startswith("[Suara] MEJA KOORDINATOR")
    assert f"Teruskan ke {routed.outside_authority} (forward to {routed.outside_authority})" in mail.body


def test_a_complaint_the_model_is_unsure_of_goes_to_the_desk_with_the_top_three_suggestions(
    stack: Stack, complaints: complaints_pb2_grpc.ComplaintServiceStub
) -> None:
    receipt = without_category(complaints, TAX_OR_PERMIT, "Pakunden")

    trace = routed_and_notified(complaints, receipt.tracking_number, 1)

    routed = trace.events[1].complaint_routed
    assert (routed.opd_code, routed.needs_coordinator, routed.outside_authority) == (DESK, True, "")
    assert len(routed.alternatives) == 3
    assert {"BPPKAD", "DPMPTSP"} <= {a.opd_code for a in routed.alternatives}
    (mail,) = wait_for_mails(stack, receipt.tracking_number, 1)
    assert mail.to == "penghubung.diskominfo@kedirikota.example"
    assert "Pilih instansi (choose the agency)" in mail.body
    assert "BPPKAD (pajak_daerah" in mail.body and "DPMPTSP (perizinan" in mail.body


@pytest.fixture
def database(infra: Infra) -> Iterator[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_url, tz_aware=True)
    name = f"suara_contract_{uuid.uuid4().hex[:8]}"
    yield client[name]
    client.drop_database(name)
    client.close()


class TestMongoRecentComplaints(RecentComplaintsContract):
    @pytest.fixture
    def store(self, database: Any) -> MongoRecentComplaints:
        return MongoRecentComplaints(database)
