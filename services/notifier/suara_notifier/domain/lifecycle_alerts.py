"""Alerts for the lifecycle events that need a person to act: who is told (the receiving OPD, an OPD's head, the
coordinator's desk), what happened, and what to do, always through Suara and with the command to use.

Pure: the handler gives the facts it looked up (the complaint's reference, the OPD that holds it, due times); one
function per event type, in a registry (an event type not in it alerts nobody).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from suara_complaint import EscalationLevel, Stage
from suara_complaint import events as lc
from suara_notifier.domain.model import WIB, Alert, ComplaintSummary, Contact

SEKDA_AGENCY = "SETDA"  # the Sekretariat Daerah: its head is the Sekda, the top of the escalation ladder
ANSWER_THROUGH_SUARA = (
    "Jangan membalas e-mail ini: balas/serahkan kembali melalui Suara (perintah di atas, atau aplikasi Suara), "
    "agar setiap langkah tercatat atas nama Anda."
)


class Audience(StrEnum):
    OPD = "opd"  # the agency's liaison officers (the contacts that receive its routine alerts)
    HEAD = "head"  # the agency's head; the complaint desk when the directory names none
    DESK = "desk"  # the coordinator's complaint desk


@dataclass(frozen=True)
class Facts:
    """What the handler looked up about the complaint when the event arrived."""

    complaint_id: str
    summary: ComplaintSummary | None
    opd: str | None  # the OPD that holds the complaint (or last held it)
    awaiting_owner_decision: bool  # the hand-back cap was reached: only the coordinator's DecideOwner moves it
    acknowledge_by: datetime | None = None  # for a dispatch: the deadlines it opened
    resolve_by: datetime | None = None

    @property
    def reference(self) -> str:
        return self.summary.tracking_number if self.summary and self.summary.tracking_number else self.complaint_id


@dataclass(frozen=True)
class Notice:
    """One alert to one audience of one agency ("" for the desk's own matters)."""

    audience: Audience
    agency: str
    headline: str  # for the subject line
    happened: tuple[str, ...]  # what happened, one line each
    todo: tuple[str, ...]  # what to do, each with the command to use


def when(moment: datetime | None) -> str:
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB") if moment is not None else "-"


_STAGES = {
    Stage.DISPATCH: "verifikasi dan disposisi (meja koordinator)",
    Stage.ACKNOWLEDGE: "tanggapan pertama OPD",
    Stage.RESOLVE: "tindak lanjut OPD",
    Stage.AUTO_CLOSE: "penutupan otomatis",
}


def _opd_tasks(ref: str, may_hand_back: bool) -> tuple[str, ...]:
    tasks = [f"Terima aduan (acknowledge): suara ack {ref}"]
    if may_hand_back:
        tasks.append(
            f'Bukan wewenang Anda? Serahkan kembali melalui Suara: suara hand-back {ref} --reason "..." '
            "[--suggest KODE_OPD] (jangan diteruskan sendiri)"
        )
    else:
        tasks.append("Keputusan koordinator bersifat final: aduan ini tidak dapat diserahkan kembali.")
    tasks.append(f'Laporkan tindak lanjut: suara follow-up {ref} "..."; bila selesai: suara resolve {ref} "..."')
    return tuple(tasks)


def _dispatched(event: lc.ComplaintDispatched, facts: Facts) -> list[Notice]:
    ref = facts.reference
    who = f"router (aturan {event.rule_id})" if event.rule_id else f"koordinator ({event.actor.subject})"
    happened = [f"Aduan warga berikut diteruskan ke {event.opd} oleh {who}."]
    if event.reason:
        happened.append(f"Alasan      : {event.reason}")
    happened += _due_lines(facts)
    return [Notice(Audience.OPD, event.opd, f"Aduan {ref} untuk {event.opd}", tuple(happened), _opd_tasks(ref, True))]


def _owner_decided(event: lc.OwnerDecided, facts: Facts) -> list[Notice]:
    ref = facts.reference
    happened = [
        f"Koordinator ({event.actor.subject}) memutuskan aduan berikut menjadi wewenang {event.opd}"
        + (" (final)." if event.final else "."),
        f"Alasan      : {event.reason}",
        *_due_lines(facts),
    ]
    headline = f"KEPUTUSAN KOORDINATOR: aduan {ref} untuk {event.opd}"
    return [Notice(Audience.OPD, event.opd, headline, tuple(happened), _opd_tasks(ref, not event.final))]


def _due_lines(facts: Facts) -> list[str]:
    lines = []
    if facts.acknowledge_by is not None:
        lines.append(f"Tanggapi sebelum : {when(facts.acknowledge_by)}")
    if facts.resolve_by is not None:
        lines.append(f"Selesaikan sebelum: {when(facts.resolve_by)}")
    return lines


def _head_tasks(ref: str, opd: str) -> tuple[str, ...]:
    return (
        f"Lihat aduan dan riwayatnya: suara show {ref} (atau suara trace {ref})",
        f"Pastikan {opd} menanggapi melalui Suara: suara ack {ref}; tugaskan petugas: suara assign {ref} PETUGAS",
        f'Bukan wewenang {opd}? Serahkan kembali melalui Suara: suara hand-back {ref} --reason "..."',
    )


def _desk_tasks(ref: str, stage: Stage | None) -> tuple[str, ...]:
    if stage is Stage.DISPATCH:
        return (
            f"Verifikasi dan teruskan: suara verify {ref}; suara dispatch {ref} KODE_OPD",
            f'Bukan aduan (spam, dsb.)? suara archive {ref} --reason "..."',
        )
    return (
        f"Lihat aduan dan riwayatnya: suara show {ref}",
        f'Pindahkan ke OPD lain bila perlu: suara redispatch {ref} KODE_OPD --reason "..."',
        f'Naikkan ke Sekda bila perlu: suara escalate {ref} --level sekda --reason "..."',
    )


def _breached(event: lc.DeadlineBreached, facts: Facts) -> list[Notice]:
    ref = facts.reference
    stage = _STAGES.get(event.stage, str(event.stage))
    where = f" di {event.opd}" if event.opd else ""
    happened = (f"Batas waktu {stage} untuk aduan {ref}{where} terlewati: {when(event.due_at)}.",)
    headline = f"BATAS WAKTU TERLEWATI: aduan {ref}{where}"
    if not event.opd:
        return [Notice(Audience.DESK, "", headline, happened, _desk_tasks(ref, event.stage))]
    return [Notice(Audience.HEAD, event.opd, headline, happened, _head_tasks(ref, event.opd))]


def _escalated(event: lc.ComplaintEscalated, facts: Facts) -> list[Notice]:
    ref = facts.reference
    by = "jam tenggat Suara" if event.deadline_id else f"koordinator ({event.actor.subject})"
    opd = facts.opd or ""
    happened = (f"Aduan {ref} dieskalasi ({event.level}) oleh {by}.", f"Alasan      : {event.reason}")
    headline = f"ESKALASI: aduan {ref}" + (f" ({opd})" if opd else "")
    if event.level is EscalationLevel.OPD_HEAD and opd:
        return [Notice(Audience.HEAD, opd, headline, happened, _head_tasks(ref, opd))]
    if event.level is EscalationLevel.SEKDA:
        todo = (
            f"Lihat aduan dan riwayatnya: suara show {ref} (atau suara trace {ref})",
            "Minta OPD dan meja koordinator menindaklanjuti melalui Suara, agar tercatat.",
        )
        return [Notice(Audience.HEAD, SEKDA_AGENCY, headline, happened, todo)]
    return [Notice(Audience.DESK, "", headline, happened, _desk_tasks(ref, None))]


def _handed_back(event: lc.ComplaintHandedBack, facts: Facts) -> list[Notice]:
    ref = facts.reference
    happened = [f"{event.opd} menyerahkan kembali aduan {ref} (Bukan Wewenang).", f"Alasan      : {event.reason}"]
    if event.suggested_opd:
        happened.append(f"Usulan OPD  : {event.suggested_opd}")
    if facts.awaiting_owner_decision:
        headline = f"PUTUSKAN PEMILIK: aduan {ref} diserahkan kembali oleh {event.opd}"
        todo: tuple[str, ...] = (
            "Batas serah-kembali tercapai: koordinator memutuskan OPD pemilik, yang tidak dapat menyerahkannya "
            f'kembali: suara decide {ref} KODE_OPD --reason "..."',
        )
    else:
        headline = f"Aduan {ref} diserahkan kembali oleh {event.opd}"
        todo = (
            "Router Suara meneruskannya ke OPD lain (tidak ke OPD yang sudah menolak); periksa hasilnya: "
            f"suara show {ref}",
            f'Bila perlu, teruskan sendiri: suara dispatch {ref} KODE_OPD --reason "..."',
        )
    return [Notice(Audience.DESK, "", headline, tuple(happened), todo)]


NoticeRule = Callable[[Any, Facts], list[Notice]]
NOTICES: Mapping[type[lc.Event], NoticeRule] = {
    lc.ComplaintDispatched: _dispatched,
    lc.OwnerDecided: _owner_decided,
    lc.DeadlineBreached: _breached,
    lc.ComplaintEscalated: _escalated,
    lc.ComplaintHandedBack: _handed_back,
}


def notices_for(event: lc.Event, facts: Facts) -> list[Notice]:
    """Whom to alert about `event`, and what to tell them (nobody for event types that need no one to act)."""
    rule = NOTICES.get(type(event))
    return rule(event, facts) if rule is not None else []


def compose_notice(notice: Notice, facts: Facts, contact: Contact, message_id: str) -> Alert:
    ref = facts.reference
    lines = [f"Yth. {contact.name},", "", *notice.happened, "", "Yang perlu dilakukan (melalui Suara):"]
    lines += [f"- {task}" for task in notice.todo]
    lines += ["", f"Nomor lacak : {ref}", f"ID aduan    : {facts.complaint_id}"]
    if facts.opd:
        lines.append(f"OPD         : {facts.opd}")
    summary = facts.summary
    if summary is not None:
        lines += [
            f"Kategori    : {summary.category or '-'}",
            f"Lokasi      : Kel. {summary.kelurahan}, Kec. {summary.kecamatan}"
            if summary.kelurahan
            else "Lokasi      : kelurahan tidak disebut pelapor (lihat isi aduan)",
            "",
            "Isi aduan:",
            summary.text,
        ]
    lines += ["", ANSWER_THROUGH_SUARA]
    return Alert(to=contact.email, subject=f"[Suara] {notice.headline}", body="\n".join(lines), message_id=message_id)
