"""Alerts to OPD staff: the directory of contacts and the text of an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone
from enum import StrEnum

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
        """Whom to tell that an alert to `agency` could not be delivered, or that its deadline passed: its head,
        else the complaint desk (empty when the directory names neither; the failure is then only logged)."""
        heads = [c for c in self._contacts if c.agency == agency and c.role == HEAD]
        return heads or self.desk()

    def desk(self) -> list[Contact]:
        """The coordinator's complaint desk."""
        return [c for c in self._contacts if c.role == COMPLAINT_DESK]


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


class Purpose(StrEnum):
    """Why an agency is alerted about a routed complaint."""

    DISPATCH = "dispatch"  # the agency the complaint is routed to
    RESPONDER = "responder"  # another responder of an emergency, alerted at once
    COORDINATOR = "coordinator"  # the coordinator's desk, which must act (forward, choose, check a duplicate)


@dataclass(frozen=True)
class Recipient:
    agency: str
    purpose: Purpose


def recipients(routed: ComplaintRouted) -> list[Recipient]:
    """Every agency to alert about a routing, each once, the agency the complaint is routed to first: then every
    other responder of an emergency, then the coordinator's desk when it must act. When the complaint is routed to
    the desk itself, the desk gets the coordinator's alert."""
    desk = routed.coordinator_desk if routed.needs_coordinator else ""
    first = Purpose.COORDINATOR if desk == routed.opd_code else Purpose.DISPATCH
    chosen = [Recipient(routed.opd_code, first)]
    for agency in routed.responders:
        if agency not in {r.agency for r in chosen}:
            chosen.append(Recipient(agency, Purpose.RESPONDER))
    if desk and desk not in {r.agency for r in chosen}:
        chosen.append(Recipient(desk, Purpose.COORDINATOR))
    return chosen


@dataclass(frozen=True)
class Task:
    headline: str  # short, for the subject
    detail: str


def coordinator_tasks(routed: ComplaintRouted) -> list[Task]:
    """What the coordinator's desk must do: forward an outside matter, choose the agency, check a duplicate."""
    tasks = []
    if routed.outside_authority:
        outside = routed.outside_authority
        tasks.append(
            Task(
                f"teruskan ke {outside}",
                f"Teruskan ke {outside} (forward to {outside}): di luar kewenangan Pemkot Kediri.",
            )
        )
    elif routed.emergency and not routed.responders:
        # A possible emergency seen only by the model's score (decision 0082): dispatched, nobody sent yet.
        tasks.append(
            Task(
                "periksa segera: mungkin darurat",
                f"Periksa segera (check at once): mungkin darurat menurut model, tanpa kata bahaya; aduan sudah "
                f"dikirim ke {routed.opd_code}, responder darurat BELUM dikerahkan: kerahkan bila memang darurat.",
            )
        )
    elif routed.needs_coordinator:
        suggestions = ", ".join(f"{a.opd_code} ({a.category}, {a.score:.2f})" for a in routed.alternatives)
        done = " Responder darurat sudah dikerahkan." if routed.emergency else ""
        tasks.append(
            Task(
                "pilih instansi",
                f"Pilih instansi (choose the agency): keyakinan model {routed.confidence:.2f} di bawah ambang; "
                f"usulan: {suggestions}.{done}",
            )
        )
    if routed.possible_duplicate_of:
        reference = routed.possible_duplicate_tracking_number or routed.possible_duplicate_of
        tasks.append(Task(f"kemungkinan duplikat {reference}", duplicate_line(routed)))
    return tasks


def duplicate_line(routed: ComplaintRouted) -> str:
    reference = routed.possible_duplicate_tracking_number or routed.possible_duplicate_of
    return (
        f"Kemungkinan duplikat dari {reference} (possible duplicate of {reference}), kemiripan "
        f"{routed.duplicate_similarity:.2f}: jika sama, tandai sebagai duplikat; aduan tidak digabung otomatis."
    )


def compose_alert(
    complaint: ComplaintSummary | None,
    complaint_id: str,
    routed: ComplaintRouted,
    contact: Contact,
    message_id: str,
    purpose: Purpose = Purpose.DISPATCH,
) -> Alert:
    due = routed.due_at.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
    priority = _PRIORITY_WORDS[routed.priority]
    reference = complaint.tracking_number if complaint else complaint_id
    agency = contact.agency
    tasks = coordinator_tasks(routed) if purpose is Purpose.COORDINATOR else []
    if purpose is Purpose.COORDINATOR:
        what = "; ".join(t.headline for t in tasks) or "periksa"
        subject = f"[Suara] MEJA KOORDINATOR: aduan {reference} ({what}, batas {due})"
        opening = f"Aduan warga berikut menunggu tindakan meja koordinator ({agency})."
    else:
        urgent = "DARURAT: " if routed.emergency else ""
        subject = f"[Suara] {urgent}Aduan {reference} untuk {agency} (prioritas {priority}, batas {due})"
        opening = f"Aduan warga berikut diteruskan ke {routed.opd_name} ({routed.opd_code})."
        if purpose is Purpose.RESPONDER:
            opening = f"KEADAAN DARURAT: {agency} dikerahkan bersama {', '.join(routed.responders)}."
    lines = [f"Yth. {contact.name},", "", opening, ""]
    if tasks:
        lines += ["Yang perlu dilakukan:", *(f"- {t.detail}" for t in tasks), ""]
    lines += [
        f"Nomor lacak : {reference}",
        f"ID aduan    : {complaint_id}",
        f"Prioritas   : {priority}",
        f"Batas waktu : {due}",
        f"Aturan      : {routed.rule_id} - {routed.reason}",
    ]
    if routed.emergency and routed.responders:
        lines.append(f"Responder   : {', '.join(routed.responders)} ({routed.emergency_kind})")
    elif routed.emergency:
        lines.append("Responder   : belum dikerahkan (mungkin darurat, menurut model saja)")
    if routed.routing_model_version:
        lines.append(
            f"Model       : {routed.routing_model_version}, keyakinan {routed.confidence:.2f}, kategori "
            f"{routed.category or '-'} ({routed.category_source.value or '-'})"
        )
    if routed.possible_duplicate_of and purpose is not Purpose.COORDINATOR:
        lines.append(f"Catatan     : {duplicate_line(routed)}")
    if complaint is not None:
        lines += [
            f"Kategori    : {complaint.category or routed.category or '-'}",
            f"Lokasi      : Kel. {complaint.kelurahan}, Kec. {complaint.kecamatan}"
            if complaint.kelurahan
            else "Lokasi      : kelurahan tidak disebut pelapor (lihat isi aduan)",
            f"Pelapor     : {'anonim (identitas dirahasiakan)' if complaint.anonymous else 'lihat Suara'}",
            "",
            "Isi aduan:",
            complaint.text,
        ]
    lines.append("")
    if purpose is Purpose.COORDINATOR:
        lines.append("Tindak lanjuti lewat Suara agar jejak aduan tetap utuh.")
    else:
        lines.append(
            "Mohon segera ditindaklanjuti. Jika aduan ini bukan wewenang Anda, kembalikan lewat Suara "
            "(jangan diteruskan sendiri)."
        )
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
