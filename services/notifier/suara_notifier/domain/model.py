"""Alerts to OPD staff: the directory of contacts and the text of an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

from suara_kit.events import ComplaintRouted, NotificationOutcome, Priority

WIB = timezone(timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class Contact:
    agency: str
    name: str
    email: str


class StaffDirectory:
    def __init__(self, contacts: list[Contact]) -> None:
        self._by_agency: dict[str, list[Contact]] = {}
        for contact in contacts:
            self._by_agency.setdefault(contact.agency, []).append(contact)

    def contacts_for(self, agency: str) -> list[Contact]:
        return list(self._by_agency.get(agency, []))


@dataclass(frozen=True)
class ComplaintSummary:
    """What the notifier remembers of a submitted complaint, to tell staff what it is about."""

    complaint_id: str
    tracking_number: str
    text: str
    category: str
    kelurahan: str
    kecamatan: str
    anonymous: bool


@dataclass(frozen=True)
class Alert:
    to: str
    subject: str
    body: str
    # Stable per (routing, recipient), so a mail server or client can recognise a repeated alert.
    message_id: str


@dataclass(frozen=True)
class Delivery:
    outcome: NotificationOutcome
    detail: str


_PRIORITY_WORDS = {Priority.DARURAT: "DARURAT", Priority.TINGGI: "tinggi", Priority.NORMAL: "normal"}


def compose_alert(
    complaint: ComplaintSummary | None, complaint_id: str, routed: ComplaintRouted, contact: Contact, message_id: str
) -> Alert:
    due = routed.due_at.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
    priority = _PRIORITY_WORDS[routed.priority]
    reference = complaint.tracking_number if complaint else complaint_id
    subject = f"[Suara] Aduan {reference} untuk {routed.opd_code} (prioritas {priority}, batas {due})"
    lines = [
        f"Yth. {contact.name},",
        "",
        f"Aduan warga berikut diteruskan ke {routed.opd_name} ({routed.opd_code}).",
        "",
        f"Nomor lacak : {reference}",
        f"ID aduan    : {complaint_id}",
        f"Prioritas   : {priority}",
        f"Batas waktu : {due}",
        f"Aturan      : {routed.rule_id} - {routed.reason}",
    ]
    if complaint is not None:
        lines += [
            f"Kategori    : {complaint.category}",
            f"Lokasi      : Kel. {complaint.kelurahan}, Kec. {complaint.kecamatan}",
            f"Pelapor     : {'anonim (identitas dirahasiakan)' if complaint.anonymous else 'lihat Suara'}",
            "",
            "Isi aduan:",
            complaint.text,
        ]
    lines += [
        "",
        "Mohon segera ditindaklanjuti. Jika aduan ini bukan wewenang Anda, kembalikan lewat Suara "
        "(jangan diteruskan sendiri).",
    ]
    return Alert(to=contact.email, subject=subject, body="\n".join(lines), message_id=message_id)
