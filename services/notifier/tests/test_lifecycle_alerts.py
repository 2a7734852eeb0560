"""Lifecycle events that need a person to act alert the right people, say what to do through Suara, and are
recorded as the lifecycle's StaffNotified through the aggregate, once, however often the event is delivered."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from suara_complaint import Actor, EscalationLevel, Policy, Priority, Role, Status, load_calendar
from suara_complaint import commands as c
from suara_complaint import events as lc
from suara_kit import codec
from suara_kit.complaints import ComplaintStore
from suara_kit.events import Event, NotificationOutcome
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.relay import publish_on_append
from suara_notifier.adapters.channels import InMemoryChannel
from suara_notifier.adapters.stores import InMemoryComplaintBook, InMemoryDeliveryLog
from suara_notifier.domain.model import COMPLAINT_DESK, HEAD, Alert, Contact, Delivery, StaffDirectory
from suara_notifier.handlers import NotifierDeps, handle_event

CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")
MONDAY = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # 09:00 WIB
DPUPR_CONTACTS = [
    Contact("DPUPR", "Admin Penghubung DPUPR", "penghubung.dpupr@kedirikota.example"),
    Contact("DPUPR", "Kabid Bina Marga", "binamarga.dpupr@kedirikota.example"),
]
INTEGRATOR = Actor("portal-kota", Role.INTEGRATOR)
COORDINATOR = Actor("koordinator-ani", Role.COORDINATOR)
ROUTER = Actor("suara-router", Role.SYSTEM)
CLOCK = Actor("suara-deadline-clock", Role.SYSTEM)
DPUPR_OFFICER = Actor("siti.dpupr", Role.OPD_OFFICER, "DPUPR")
DLHKP_OFFICER = Actor("budi.dlhkp", Role.OPD_OFFICER, "DLHKP")
DPUPR_HEAD = Contact("DPUPR", "Kepala DPUPR", "kepala.dpupr@kedirikota.example", HEAD)
SEKDA = Contact("SETDA", "Sekretaris Daerah", "kepala.setda@kedirikota.example", HEAD)
DESK = Contact("DISKOMINFO", "Meja Koordinator", "meja.aduan@kedirikota.example", COMPLAINT_DESK)
DLHKP = Contact("DLHKP", "Admin Penghubung DLHKP", "penghubung.dlhkp@kedirikota.example")
TRACKING = "KDR-3Q7ZK-M0P4X"


class RefusingChannel(InMemoryChannel):
    def send(self, alert: Alert) -> Delivery:
        super().send(alert)
        if alert.to.startswith("penghubung."):
            return Delivery(NotificationOutcome.FAILED, "recipient refused: 550 no such user")
        return Delivery(NotificationOutcome.DELIVERED, "kept in memory")


@dataclass
class World:
    """The notifier with its fakes, and the complaints' write path sharing the same journal (as in production)."""

    deps: NotifierDeps
    journal: InMemoryJournal
    topic: InMemoryEventPublisher
    channel: InMemoryChannel
    now: list[datetime]
    keys: itertools.count  # type: ignore[type-arg]
    handled: set[str] = field(default_factory=set)

    @property
    def store(self) -> ComplaintStore:
        return self.deps.complaints

    def do(self, command_type: type[c.Command], complaint_id: str, actor: Actor, **fields: object) -> list[Event]:
        key = f"k-{next(self.keys)}"
        return list(
            self.store.execute(
                command_type(complaint_id=complaint_id, actor=actor, idempotency_key=key, **fields)
            ).recorded
        )

    def submit(self) -> str:
        complaint_id = str(uuid.uuid4())
        for event in self.do(
            c.Submit,
            complaint_id,
            INTEGRATOR,
            tracking_number=TRACKING,
            category="jalan_rusak",
            priority=Priority.NORMAL,
            text="Jalan Merbabu berlubang besar, dua motor jatuh.",
            kelurahan_code="35.71.01.1008",
            source_channel="web_portal",
        ):
            handle_event(event, self.deps)
        return complaint_id

    def deliver(self, events: list[Event]) -> None:
        """Hand `events` to the notifier (again, if they were before: a redelivery), then every other event the
        journal holds that the notifier has not seen yet, as the topic would (the notifier's own records, deadline
        firings a command caught up), until there is none."""
        for event in events:
            self.handled.add(event.event_id)
            handle_event(event, self.deps)
        while True:
            on_topic = [codec.decode(published.value) for published in self.topic.published]
            fresh = [e for e in on_topic if e.event_id not in self.handled]
            if not fresh:
                return
            for event in fresh:
                self.handled.add(event.event_id)
                handle_event(event, self.deps)

    def notified(self, complaint_id: str) -> list[Event]:
        events = [codec.decode(s.data) for s in self.journal.stream(complaint_id)]
        return [e for e in events if isinstance(e.payload, lc.StaffNotified)]

    def mails_to(self, email: str) -> list[Alert]:
        return [a for a in self.channel.sent if a.to == email]


def world(directory: list[Contact], channel: InMemoryChannel | None = None) -> World:
    journal, publisher = InMemoryJournal(), InMemoryEventPublisher()
    nudge = publish_on_append(journal, publisher)
    now = [MONDAY]
    channel = channel or InMemoryChannel()
    deps = NotifierDeps(
        directory=StaffDirectory(directory),
        book=InMemoryComplaintBook(),
        channel=channel,
        deliveries=InMemoryDeliveryLog(),
        complaints=ComplaintStore(
            journal, Policy(), CALENDAR, producer="suara-notifier", appended=nudge, clock=lambda: now[0]
        ),
    )
    return World(deps, journal, publisher, channel, now, itertools.count(1))


@pytest.fixture
def city() -> World:
    return world([*DPUPR_CONTACTS, DPUPR_HEAD, DLHKP, SEKDA, DESK])


def test_a_coordinators_dispatch_alerts_every_liaison_of_the_receiving_opd(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR", reason="jalan kota"))

    assert sorted(a.to for a in city.channel.sent) == sorted(c.email for c in DPUPR_CONTACTS)
    alert = city.mails_to("penghubung.dpupr@kedirikota.example")[0]
    assert alert.subject == f"[Suara] Aduan {TRACKING} untuk DPUPR"
    assert "diteruskan ke DPUPR oleh koordinator (koordinator-ani)" in alert.body
    assert f"suara ack {TRACKING}" in alert.body
    assert f'suara hand-back {TRACKING} --reason "..."' in alert.body
    assert "balas/serahkan kembali melalui Suara" in alert.body
    # 3 working days from Monday 09:00 WIB: Thursday 09:00; 5: the Monday after.
    assert "Tanggapi sebelum : 19-11-2026 09:00 WIB" in alert.body
    assert "Selesaikan sebelum: 23-11-2026 09:00 WIB" in alert.body
    assert "Jalan Merbabu berlubang besar" in alert.body


def test_each_alert_is_recorded_as_the_lifecycles_staff_notified_through_the_aggregate(city: World) -> None:
    complaint_id = city.submit()
    dispatched = city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR")
    city.deliver(dispatched)

    notified = city.notified(complaint_id)
    assert [e.event_type for e in notified] == ["Lifecycle.StaffNotified"] * 2
    assert {e.payload.recipient for e in notified} == {c.email for c in DPUPR_CONTACTS}
    assert {(e.payload.opd, e.payload.channel, e.payload.outcome) for e in notified} == {
        ("DPUPR", "email", "delivered")
    }
    assert {(e.actor.id, e.causation_id) for e in notified} == {("suara-notifier", e.causation_id) for e in notified}
    # The alert's Message-ID and the command's key are one value, derived from the cause and the recipient.
    assert {e.payload.command_key for e in notified} == {a.message_id for a in city.channel.sent}
    state = city.store.load(complaint_id).state
    assert state is not None and state.status is Status.DISPATCHED and state.version == 4


def test_a_redelivered_event_sends_no_mail_and_records_nothing_again(city: World) -> None:
    complaint_id = city.submit()
    dispatched = city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR")
    city.deliver(dispatched)
    mails, stream = len(city.channel.sent), len(city.journal.stream(complaint_id))

    city.deliver(dispatched)
    city.deliver(dispatched)

    assert len(city.channel.sent) == mails == 2
    assert len(city.journal.stream(complaint_id)) == stream


def test_a_redelivery_after_a_crash_between_mail_and_record_records_without_mailing_again(city: World) -> None:
    complaint_id = city.submit()
    dispatched = city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR")
    real = city.deps.complaints

    class Crashing:
        calendar = real.calendar

        def load(self, cid: str):  # type: ignore[no-untyped-def]
            return real.load(cid)

        def execute(self, command: c.Command) -> None:
            raise ConnectionError("store went away after the mail was accepted")

    with pytest.raises(ConnectionError):
        handle_event(dispatched[0], replace(city.deps, complaints=Crashing()))  # type: ignore[arg-type]
    city.deliver(dispatched)

    # The first contact's mail went out before the crash; the redelivery mails only the second contact.
    assert sorted(a.to for a in city.channel.sent) == sorted(c.email for c in DPUPR_CONTACTS)
    assert len(city.notified(complaint_id)) == 2


def test_a_hand_back_alerts_the_desk_and_the_router_redispatch_alerts_the_next_opd(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))
    city.channel.sent.clear()

    city.deliver(city.do(c.HandBack, complaint_id, DPUPR_OFFICER, reason="saluran milik DLHKP", suggested_opd="DLHKP"))
    (desk,) = city.channel.sent
    assert desk.to == DESK.email
    assert desk.subject == f"[Suara] Aduan {TRACKING} diserahkan kembali oleh DPUPR"
    assert "Alasan      : saluran milik DLHKP" in desk.body and "Usulan OPD  : DLHKP" in desk.body
    assert f"suara dispatch {TRACKING} KODE_OPD" in desk.body

    city.deliver(city.do(c.Route, complaint_id, ROUTER, opd="DLHKP", rule_id="R-SALURAN-01", reason="saluran"))
    (_, dlhkp) = city.channel.sent
    assert dlhkp.to == DLHKP.email
    assert "diteruskan ke DLHKP oleh router (aturan R-SALURAN-01)" in dlhkp.body


def test_at_the_hand_back_cap_the_desk_is_told_to_decide_the_owner(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))
    city.deliver(city.do(c.HandBack, complaint_id, DPUPR_OFFICER, reason="bukan jalan kota"))
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DLHKP"))
    city.channel.sent.clear()

    city.deliver(city.do(c.HandBack, complaint_id, DLHKP_OFFICER, reason="bukan saluran"))

    (desk,) = city.channel.sent
    assert desk.to == DESK.email
    assert desk.subject.startswith(f"[Suara] PUTUSKAN PEMILIK: aduan {TRACKING}")
    assert f'suara decide {TRACKING} KODE_OPD --reason "..."' in desk.body


def test_a_final_owner_decision_tells_the_opd_it_can_no_longer_hand_it_back(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))
    city.deliver(city.do(c.HandBack, complaint_id, DPUPR_OFFICER, reason="bukan jalan kota"))
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DLHKP"))
    city.deliver(city.do(c.HandBack, complaint_id, DLHKP_OFFICER, reason="bukan saluran"))
    city.channel.sent.clear()

    city.deliver(city.do(c.DecideOwner, complaint_id, COORDINATOR, opd="DPUPR", reason="jalan kota, Perda 3/2019"))

    assert sorted(a.to for a in city.channel.sent) == sorted(c.email for c in DPUPR_CONTACTS)
    alert = city.channel.sent[0]
    assert alert.subject == f"[Suara] KEPUTUSAN KOORDINATOR: aduan {TRACKING} untuk DPUPR"
    assert "tidak dapat diserahkan kembali" in alert.body
    assert "suara hand-back" not in alert.body


def test_a_breached_opd_deadline_and_its_escalation_alert_the_opd_head(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))
    city.channel.sent.clear()
    city.now[0] = MONDAY + timedelta(days=3)  # Thursday 09:00 WIB: the acknowledgement is due

    deadline_id = f"{complaint_id}/acknowledge/2"
    city.deliver(city.do(c.RecordDeadlineBreach, complaint_id, CLOCK, deadline_id=deadline_id))
    city.deliver(
        city.do(c.RecordEscalation, complaint_id, CLOCK, deadline_id=deadline_id, level=EscalationLevel.OPD_HEAD)
    )

    breach, escalation = city.mails_to(DPUPR_HEAD.email)
    assert len(city.channel.sent) == 2
    assert breach.subject == f"[Suara] BATAS WAKTU TERLEWATI: aduan {TRACKING} di DPUPR"
    assert "Batas waktu tanggapan pertama OPD" in breach.body and "19-11-2026 09:00 WIB" in breach.body
    assert escalation.subject == f"[Suara] ESKALASI: aduan {TRACKING} (DPUPR)"
    assert f"suara ack {TRACKING}" in escalation.body and "balas/serahkan kembali melalui Suara" in escalation.body
    notified = city.notified(complaint_id)[-2:]
    assert [(e.payload.recipient, e.payload.opd) for e in notified] == [(DPUPR_HEAD.email, "DPUPR")] * 2


def test_escalations_to_the_coordinator_and_the_sekda_go_to_the_desk_and_the_sekda(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))
    city.channel.sent.clear()
    city.now[0] = MONDAY + timedelta(days=7)  # the next Monday: two working days after the breach
    deadline_id = f"{complaint_id}/acknowledge/2"

    for level in (EscalationLevel.COORDINATOR, EscalationLevel.SEKDA):
        city.deliver(city.do(c.RecordEscalation, complaint_id, CLOCK, deadline_id=deadline_id, level=level))

    desk = [a for a in city.channel.sent if a.to == DESK.email and "ESKALASI" in a.subject]
    sekda = city.mails_to(SEKDA.email)
    assert len(desk) == 1 and f"suara redispatch {TRACKING} KODE_OPD" in desk[0].body
    assert len(sekda) == 1 and "(sekda)" in sekda[0].body


def test_a_late_dispatch_is_the_desks_own_breach(city: World) -> None:
    complaint_id = city.submit()
    city.now[0] = MONDAY + timedelta(days=3)

    city.deliver(city.do(c.RecordDeadlineBreach, complaint_id, CLOCK, deadline_id=f"{complaint_id}/dispatch/1"))

    # The breach and, at the same moment, the escalation to the coordinator level (recorded by the notifier's own
    # RecordNotification, which records due firings first: the clock would have).
    breach, escalation = city.channel.sent
    assert (breach.to, escalation.to) == (DESK.email, DESK.email)
    assert escalation.subject == f"[Suara] ESKALASI: aduan {TRACKING}"
    alert = breach
    assert "verifikasi dan disposisi" in alert.body and f"suara dispatch {TRACKING} KODE_OPD" in alert.body


def test_an_opd_without_a_head_has_its_breaches_sent_to_the_desk() -> None:
    city = world([DLHKP, DESK])
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DLHKP"))
    city.now[0] = MONDAY + timedelta(days=3)

    city.deliver(city.do(c.RecordDeadlineBreach, complaint_id, CLOCK, deadline_id=f"{complaint_id}/acknowledge/2"))

    # The breach and the escalation to the OPD head level, both to the desk.
    assert [a.to for a in city.channel.sent] == [DLHKP.email, DESK.email, DESK.email]


def test_nobody_to_alert_is_recorded_as_a_failed_notification_naming_whom() -> None:
    city = world(list(DPUPR_CONTACTS))  # no desk in the directory
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))

    city.deliver(city.do(c.HandBack, complaint_id, DPUPR_OFFICER, reason="bukan wewenang"))

    last = city.notified(complaint_id)[-1].payload
    assert (last.outcome, last.recipient) == ("failed", "")
    assert last.detail == "no desk contact for meja koordinator in the staff directory"


def test_an_undeliverable_dispatch_alert_is_escalated_to_the_head_and_both_are_recorded() -> None:
    city = world([*DPUPR_CONTACTS[:1], DPUPR_HEAD], RefusingChannel())
    complaint_id = city.submit()

    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))

    assert [a.to for a in city.channel.sent] == [DPUPR_CONTACTS[0].email, DPUPR_HEAD.email]
    assert city.channel.sent[1].subject.startswith("[Suara] GAGAL TERKIRIM:")
    notified = [(e.payload.recipient, e.payload.outcome) for e in city.notified(complaint_id)]
    assert notified == [(DPUPR_CONTACTS[0].email, "failed"), (DPUPR_HEAD.email, "delivered")]


def test_events_that_need_nobody_alert_nobody(city: World) -> None:
    complaint_id = city.submit()
    city.deliver(city.do(c.Dispatch, complaint_id, COORDINATOR, opd="DPUPR"))
    city.channel.sent.clear()

    city.deliver(city.do(c.Acknowledge, complaint_id, DPUPR_OFFICER))
    city.deliver(city.do(c.PostFollowUp, complaint_id, DPUPR_OFFICER, text="Tim meninjau besok."))

    assert city.channel.sent == []
