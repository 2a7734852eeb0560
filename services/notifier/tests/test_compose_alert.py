"""The alert text: enough for OPD staff to act without opening anything else."""

from __future__ import annotations

import dataclasses

from suara_kit.events import ComplaintRouted, Priority
from suara_notifier.domain.model import ComplaintSummary, Contact, StaffDirectory, compose_alert, coordinator_tasks

CONTACT = Contact("DPUPR", "Admin Penghubung DPUPR", "penghubung.dpupr@kedirikota.example")


def summary(complaint, anonymous: bool = False) -> ComplaintSummary:
    s = complaint.submitted.payload
    return ComplaintSummary(
        complaint.submitted.complaint_id,
        s.tracking_number,
        s.text,
        s.category,
        s.kelurahan_name,
        s.kecamatan_name,
        anonymous,
    )


def test_an_alert_names_tracking_number_opd_due_time_in_wib_and_the_complaint_text(complaint) -> None:
    alert = compose_alert(summary(complaint), complaint.routed.complaint_id, complaint.routed.payload, CONTACT, "m-1")

    assert alert.to == "penghubung.dpupr@kedirikota.example"
    assert alert.message_id == "m-1"
    assert alert.subject == "[Suara] Aduan KDR-3Q7ZK-M0P4X untuk DPUPR (prioritas normal, batas 27-11-2026 16:00 WIB)"
    assert alert.body.startswith("Yth. Admin Penghubung DPUPR,\n")
    for line in (
        "Aduan warga berikut diteruskan ke Dinas Pekerjaan Umum dan Penataan Ruang (DPUPR).",
        "Nomor lacak : KDR-3Q7ZK-M0P4X",
        f"ID aduan    : {complaint.routed.complaint_id}",
        "Batas waktu : 27-11-2026 16:00 WIB",
        "Aturan      : R-JALAN-01 - Jalan kota yang berlubang ditangani DPUPR.",
        "Kategori    : jalan_rusak",
        "Lokasi      : Kel. Mrican, Kec. Mojoroto",
        "Pelapor     : lihat Suara",
        complaint.submitted.payload.text,
    ):
        assert line in alert.body.splitlines()


def test_an_alert_for_an_anonymous_complaint_says_the_reporter_is_withheld(complaint) -> None:
    alert = compose_alert(summary(complaint, anonymous=True), "id", complaint.routed.payload, CONTACT, "m-1")

    assert "Pelapor     : anonim (identitas dirahasiakan)" in alert.body


def test_an_emergency_alert_says_darurat_in_capitals(complaint) -> None:
    routed: ComplaintRouted = complaint.routed.payload
    urgent = ComplaintRouted(routed.opd_code, routed.opd_name, Priority.DARURAT, routed.due_at, "R-X", "r")

    alert = compose_alert(summary(complaint), "id", urgent, CONTACT, "m-1")

    assert "(prioritas DARURAT, batas 27-11-2026 16:00 WIB)" in alert.subject


def test_an_alert_about_a_complaint_never_seen_submitted_uses_the_complaint_id(complaint) -> None:
    complaint_id = complaint.routed.complaint_id

    alert = compose_alert(None, complaint_id, complaint.routed.payload, CONTACT, "m-1")

    assert f"[Suara] Aduan {complaint_id} untuk DPUPR" in alert.subject
    assert f"Nomor lacak : {complaint_id}" in alert.body
    assert "Isi aduan:" not in alert.body


def test_the_directory_lists_every_contact_of_an_agency_in_order() -> None:
    second = Contact("DPUPR", "Kabid", "kabid@kedirikota.example")
    directory = StaffDirectory([CONTACT, Contact("DISHUB", "x", "x@kedirikota.example"), second])

    assert directory.contacts_for("DPUPR") == [CONTACT, second]
    assert directory.contacts_for("NOPE") == []


def test_the_desk_is_told_to_check_a_possible_emergency_and_that_no_responder_was_sent(complaint) -> None:
    routed: ComplaintRouted = complaint.routed.payload
    possible = dataclasses.replace(routed, priority=Priority.DARURAT, emergency=True, needs_coordinator=True)

    tasks = coordinator_tasks(possible)
    alert = compose_alert(summary(complaint), "id", possible, CONTACT, "m-1")

    assert [t.headline for t in tasks] == ["periksa segera: mungkin darurat"]
    assert "responder darurat BELUM dikerahkan" in tasks[0].detail
    assert "Responder   : belum dikerahkan (mungkin darurat, menurut model saja)" in alert.body.splitlines()


def test_an_alert_without_a_kelurahan_says_so_instead_of_an_empty_place(complaint) -> None:
    nowhere = dataclasses.replace(summary(complaint), kelurahan="", kecamatan="")

    alert = compose_alert(nowhere, "id", complaint.routed.payload, CONTACT, "m-1")

    assert "Lokasi      : kelurahan tidak disebut pelapor (lihat isi aduan)" in alert.body.splitlines()
