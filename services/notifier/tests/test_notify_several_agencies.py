"""Alerting several agencies about one routing: every responder of an emergency, the coordinator's desk when it
must act; one mail and one StaffNotified per contact, each exactly once, and the desk told what to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from suara_kit.events import CategorySource, Priority, RoutingSuggestion, StaffNotified, derived_id
from suara_notifier.domain.model import Contact, Purpose, Recipient, StaffDirectory, recipients
from suara_notifier.handlers import handle_event

DIRECTORY = StaffDirectory(
    [
        Contact(code, f"Admin Penghubung {code}", f"penghubung.{code.lower()}@kedirikota.example")
        for code in ("DPUPR", "DAMKAR", "BPBD", "DISKOMINFO", "SATPOLPP")
    ]
)
FIRE = {
    "opd_code": "DAMKAR",
    "opd_name": "Dinas Pemadam Kebakaran",
    "priority": Priority.DARURAT,
    "due_at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    "rule_id": "R-KEBAKARAN-01",
    "reason": "Kebakaran ditangani Damkar.",
    "emergency": True,
    "emergency_kind": "kebakaran",
    "responders": ("DAMKAR", "BPBD"),
    "category": "kebakaran",
    "category_source": CategorySource.PROPOSED,
    "routing_model_version": "48c4d13efcfa",
    "confidence": 0.92,
}
PLN = {
    "opd_code": "DISKOMINFO",
    "opd_name": "Dinas Komunikasi dan Informatika",
    "outside_authority": "PLN",
    "needs_coordinator": True,
    "coordinator_desk": "DISKOMINFO",
    "category": "listrik",
    "confidence": 0.95,
}
UNSURE = {
    "opd_code": "DISKOMINFO",
    "opd_name": "Dinas Komunikasi dan Informatika",
    "needs_coordinator": True,
    "coordinator_desk": "DISKOMINFO",
    "confidence": 0.44,
    "alternatives": (
        RoutingSuggestion("pajak_daerah", "BPPKAD", 0.45),
        RoutingSuggestion("perizinan", "DPMPTSP", 0.43),
        RoutingSuggestion("umkm_tenaga_kerja", "DINKOP_UMTK", 0.05),
    ),
}
DUPLICATE = {
    "possible_duplicate_of": "7e7d542d-a36f-576c-a405-9e24e7cda4a8",
    "possible_duplicate_tracking_number": "KDR-T86J8-KRKAG",
    "duplicate_similarity": 0.93,
}


@pytest.fixture
def notifier(notifier):
    notifier.deps = replace(notifier.deps, directory=DIRECTORY)
    return notifier


def routed_as(complaint, **fields):
    routed = replace(complaint.routed, payload=replace(complaint.routed.payload, **fields))
    return replace(complaint, routed=routed)


def deliver(notifier, complaint):
    notifier.journal_upstream(complaint)
    handle_event(complaint.submitted, notifier.deps)
    return handle_event(complaint.routed, notifier.deps)


def test_every_responder_of_an_emergency_is_alerted_once_each_with_one_staff_notified(notifier, complaint) -> None:
    fire = routed_as(complaint, **FIRE)

    recorded = deliver(notifier, fire)

    assert [a.to for a in notifier.channel.sent] == [
        "penghubung.damkar@kedirikota.example",
        "penghubung.bpbd@kedirikota.example",
    ]
    assert [(r.event.payload.opd_code, r.event.sequence) for r in recorded] == [("DAMKAR", 3), ("BPBD", 4)]
    assert all(s.subject.startswith("[Suara] DARURAT: Aduan KDR-3Q7ZK-M0P4X") for s in notifier.channel.sent)
    bpbd = notifier.channel.sent[1]
    assert "KEADAAN DARURAT: BPBD dikerahkan bersama DAMKAR, BPBD." in bpbd.body
    assert "(prioritas DARURAT, batas 20-11-2026 17:00 WIB)" in bpbd.subject
    # The dispatched agency keeps the alert id it always had; the others' ids name their agency.
    assert recorded[0].event.event_id == derived_id(fire.routed.event_id, "StaffNotified", notifier.channel.sent[0].to)
    assert recorded[1].event.event_id == derived_id(fire.routed.event_id, "StaffNotified", "BPBD", bpbd.to)
    assert [r.event.event_id for r in recorded] == [a.message_id for a in notifier.channel.sent]


def test_a_redelivered_emergency_sends_no_mail_and_records_nothing_again(notifier, complaint) -> None:
    fire = routed_as(complaint, **FIRE)
    deliver(notifier, fire)

    again = handle_event(fire.routed, notifier.deps)

    assert len(notifier.channel.sent) == 2
    assert [r.created for r in again] == [False, False]
    assert len(notifier.recorded(fire.routed.complaint_id)) == 4


def test_an_outside_matter_alerts_only_the_coordinators_desk_saying_where_to_forward_it(notifier, complaint) -> None:
    deliver(notifier, routed_as(complaint, **PLN))

    (alert,) = notifier.channel.sent
    assert alert.to == "penghubung.diskominfo@kedirikota.example"
    assert alert.subject.startswith("[Suara] MEJA KOORDINATOR: aduan KDR-3Q7ZK-M0P4X (teruskan ke PLN")
    assert "- Teruskan ke PLN (forward to PLN): di luar kewenangan Pemkot Kediri." in alert.body
    assert "Kategori    : jalan_rusak" in alert.body


def test_an_unsure_routing_asks_the_desk_to_choose_the_agency_among_the_suggestions(notifier, complaint) -> None:
    deliver(notifier, routed_as(complaint, **UNSURE))

    (alert,) = notifier.channel.sent
    assert "(pilih instansi," in alert.subject
    assert (
        "- Pilih instansi (choose the agency): keyakinan model 0.44 di bawah ambang; usulan: "
        "BPPKAD (pajak_daerah, 0.45), DPMPTSP (perizinan, 0.43), DINKOP_UMTK (umkm_tenaga_kerja, 0.05)."
    ) in alert.body


def test_an_emergency_an_outside_body_must_join_alerts_the_responders_and_the_desk(notifier, complaint) -> None:
    brawl = routed_as(
        complaint,
        **{
            **FIRE,
            "opd_code": "SATPOLPP",
            "responders": ("SATPOLPP",),
            "emergency_kind": "kamtibmas",
            "outside_authority": "POLRES_KEDIRI_KOTA",
            "needs_coordinator": True,
            "coordinator_desk": "DISKOMINFO",
        },
    )

    recorded = deliver(notifier, brawl)

    assert [r.event.payload.opd_code for r in recorded] == ["SATPOLPP", "DISKOMINFO"]
    desk = notifier.channel.sent[1]
    assert "Teruskan ke POLRES_KEDIRI_KOTA" in desk.body


def test_a_possible_duplicate_is_named_to_the_agency_and_on_the_desk_when_the_desk_is_alerted(
    notifier, complaint
) -> None:
    deliver(notifier, routed_as(complaint, **DUPLICATE))
    (to_dpupr,) = notifier.channel.sent
    assert "possible duplicate of KDR-T86J8-KRKAG" in to_dpupr.body

    notifier.channel.sent.clear()
    other = routed_as(complaint, **UNSURE, **DUPLICATE)
    other = replace(other, routed=replace(other.routed, event_id=derived_id("another routing")))
    handle_event(other.routed, notifier.deps)
    (to_desk,) = notifier.channel.sent
    assert "kemungkinan duplikat KDR-T86J8-KRKAG" in to_desk.subject
    assert "- Kemungkinan duplikat dari KDR-T86J8-KRKAG (possible duplicate of KDR-T86J8-KRKAG)" in to_desk.body


def test_a_routing_before_text_routing_alerts_the_one_agency_as_before(complaint) -> None:
    assert recipients(complaint.routed.payload) == [Recipient("DPUPR", Purpose.DISPATCH)]


def test_a_responder_without_a_contact_is_recorded_as_failed_and_the_others_still_alerted(notifier, complaint) -> None:
    recorded = deliver(notifier, routed_as(complaint, **{**FIRE, "responders": ("DAMKAR", "DINKES", "BPBD")}))

    assert [(r.event.payload.opd_code, r.event.payload.outcome.value) for r in recorded] == [
        ("DAMKAR", "delivered"),
        ("DINKES", "failed"),
        ("BPBD", "delivered"),
    ]
    assert isinstance(recorded[1].event.payload, StaffNotified)
    assert recorded[1].event.payload.detail == "no contact for DINKES in the staff directory"
