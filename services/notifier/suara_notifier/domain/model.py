"""Alerts to OPD staff: the directory of contacts and the text of an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

from suara_kit.events import ComplaintRouted, NotificationOutcome, Priority

WIB = timezone(timedelta(hours=7), "WIB")


LIAISON = "liaison"  # receives the OPD's alerts (Admin Penghubung)
HEAD = "head"  # the OPD's head: receives the alerts that could not be delivered to the OPD's liaison
COMPLAINT_DESK = "complaint_desk"  # the coordinator's desk: the same, for OPDs that name no head
ROLES = (LIAISON, HEAD, COMPLAINT_DESK)


@dataclass(frozen=True)
class Contact:
    agency: str
    name: str
    email: str
    role: str = LIAISON


class StaffDirectory:
    def __init__(self, contacts: list[Contact]) -> None:
        self._contacts = list(contacts)

    def contacts_for(self, agency: str) -> list[Contact]:
        """Whom to alert about a complaint routed to `agency`."""
        return [c for c in self._contacts if c.agency == agency and c.role == LIAISON]

    def escalation_for(self, agency: str) -> list[Contact]:
        """Whom to tell that an alert to `agency` could not be delivered: its head, else the complaint desk
        (empty when the directory names neither; the failure is then only logged)."""
        heads = [c for c in self._contacts if c.agency == agency and c.role == HEAD]
        return heads or [c for c in self._contacts if c.role == COMPLAINT_DESK]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a channel that answers "try later" is tried for one alert, and the pauses in between. Small on
    purpose: the consumer waits meanwhile, so every alert behind this one waits too."""

    pauses_seconds: tuple[float, ...] = (1.0, 4.0)

    @property
    def attempts(self) -> int:
        return len(self.pauses_seconds) + 1


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


def compose_escalation(failed: Alert, opd_code: str, reason: str, contact: Contact, message_id: str) -> Alert:
    """The alert to an OPD's head (or the complaint desk) that an alert could not be delivered."""
    subject = f"[Suara] GAGAL TERKIRIM: {failed.subject.removeprefix('[Suara] ')}"
    lines = [
        f"Yth. {contact.name},",
        "",
        f"Peringatan aduan untuk {opd_code} tidak dapat dikirim ke {failed.to}.",
        f"Alasan      : {reason}",
        "",
        "Mohon pastikan aduan berikut ditindaklanjuti. Peringatan aslinya:",
        "",
        failed.body,
    ]
    return Alert(to=contact.email, subject=subject, body="\n".join(lines), message_id=message_id)
