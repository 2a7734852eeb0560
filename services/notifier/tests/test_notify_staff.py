"""Alerting staff with fakes: one mail per contact, one StaffNotified each, and nothing twice."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from suara_kit import codec
from suara_kit.events import ActorKind, NotificationOutcome, StaffNotified, derived_id
from suara_notifier.adapters.channels import InMemoryChannel, TemporaryRefusal
from suara_notifier.bootstrap import event_handler
from suara_notifier.domain.model import Alert, ComplaintSummary, Contact, Delivery, RetryPolicy, StaffDirectory
from suara_notifier.handlers import handle_event


class RefusingChannel(InMemoryChannel):
    """Keeps the alert, and answers as a mail server that refused the recipient."""

    def send(self, alert: Alert) -> Delivery:
        super().send(alert)
        return Delivery(NotificationOutcome.FAILED, "recipient refused: 550 no such user")


def deliver(notifier, complaint):
    notifier.journal_upstream(complaint)
    handle_event(complaint.submitted, notifier.deps)
    return handle_event(complaint.routed, notifier.deps)


def test_a_submitted_complaint_is_remembered_for_later_alerts(notifier, complaint) -> None:
    assert handle_event(complaint.submitted, notifier.deps) == []

    assert notifier.book.get(complaint.submitted.complaint_id) == ComplaintSummary(
        complaint_id=complaint.submitted.complaint_id,
        tracking_number="KDR-3Q7ZK-M0P4X",
        text=complaint.submitted.payload.text,
        category="jalan_rusak",
        kelurahan="Mrican",
        kecamatan="Mojoroto",
        anonymous=False,
    )
    assert notifier.channel.sent == []


def test_a_routed_complaint_sends_one_mail_per_contact_of_the_opd(notifier, complaint) -> None:
    deliver(notifier, complaint)

    assert [a.to for a in notifier.channel.sent] == [
        "penghubung.dpupr@kedirikota.example",
        "binamarga.dpupr@kedirikota.example",
    ]
    assert all("KDR-3Q7ZK-M0P4X" in a.subject for a in notifier.channel.sent)
    assert len({a.message_id for a in notifier.channel.sent}) == 2


def test_each_mail_is_recorded_as_staff_notified_after_the_routing(notifier, complaint) -> None:
    recorded = deliver(notifier, complaint)

    assert [r.created for r in recorded] == [True, True]
    events = notifier.recorded(complaint.routed.complaint_id)
    assert [(e.sequence, e.event_type) for e in events] == [
        (1, "ComplaintSubmitted"),
        (2, "ComplaintRouted"),
        (3, "StaffNotified"),
        (4, "StaffNotified"),
    ]
    for notified, alert in zip(events[2:], notifier.channel.sent, strict=True):
        assert notified.event_id == derived_id(complaint.routed.event_id, "StaffNotified", alert.to)
        assert notified.event_id == alert.message_id
        assert notified.causation_id == complaint.routed.event_id
        assert notified.correlation_id == "request-9"
        assert (notified.actor.kind, notified.producer) == (ActorKind.SERVICE, "suara-notifier")
        assert notified.payload == StaffNotified(
            "DPUPR", "email", alert.to, NotificationOutcome.DELIVERED, "kept in memory"
        )
    assert notifier.published_notifications() == [e.payload for e in events[2:]]


def test_a_redelivered_routing_sends_nothing_and_records_nothing_new(notifier, complaint) -> None:
    deliver(notifier, complaint)

    again = handle_event(complaint.routed, notifier.deps)

    assert [r.created for r in again] == [False, False]
    assert len(notifier.channel.sent) == 2
    assert len(notifier.journal.stream(complaint.routed.complaint_id)) == 4
    assert len(notifier.publisher.published) == 2


def test_an_opd_without_contact_records_one_failed_notification_naming_the_opd(notifier, complaint) -> None:
    notifier.deps = replace(notifier.deps, directory=StaffDirectory([]))

    recorded = deliver(notifier, complaint)

    assert notifier.channel.sent == []
    assert len(recorded) == 1
    (notified,) = notifier.published_notifications()
    assert notified.outcome is NotificationOutcome.FAILED
    assert notified.opd_code == "DPUPR"
    assert notified.detail == "no contact for DPUPR in the staff directory"
    assert recorded[0].event.sequence == 3


def test_a_routing_redelivered_after_a_crash_before_recording_does_not_mail_again(notifier, complaint) -> None:
    notifier.journal_upstream(complaint)
    handle_event(complaint.submitted, notifier.deps)
    working_publish = notifier.publisher.publish

    def broker_down(key: str, value: bytes) -> None:
        raise ConnectionError("broker unreachable")

    notifier.publisher.publish = broker_down
    with pytest.raises(ConnectionError):
        handle_event(complaint.routed, notifier.deps)
    notifier.publisher.publish = working_publish

    handle_event(complaint.routed, notifier.deps)

    assert [a.to for a in notifier.channel.sent] == [
        "penghubung.dpupr@kedirikota.example",
        "binamarga.dpupr@kedirikota.example",
    ]
    assert [n.recipient for n in notifier.published_notifications()] == [a.to for a in notifier.channel.sent]


def test_a_refused_mail_is_recorded_as_failed_with_the_channels_reason(notifier, complaint) -> None:
    refusing = RefusingChannel()
    notifier.deps = replace(notifier.deps, channel=refusing)

    deliver(notifier, complaint)

    assert len(refusing.sent) == 2
    assert [(n.outcome, n.detail) for n in notifier.published_notifications()] == [
        (NotificationOutcome.FAILED, "recipient refused: 550 no such user")
    ] * 2


def test_staff_notified_events_need_no_action(notifier, complaint) -> None:
    deliver(notifier, complaint)
    notified = notifier.recorded(complaint.routed.complaint_id)[2]

    assert handle_event(notified, notifier.deps) == []
    assert len(notifier.channel.sent) == 2


def test_the_consumer_handler_decodes_records_and_alerts_staff(notifier, complaint) -> None:
    notifier.journal_upstream(complaint)
    handle = event_handler(notifier.deps)

    for offset, event in enumerate((complaint.submitted, complaint.routed)):
        data = codec.encode(event)
        handle(ConsumerRecord("events", 0, 0, offset, 0, 0, b"key", data, [], None, 3, len(data), 0))

    assert len(notifier.channel.sent) == 2
    assert "Lokasi      : Kel. Mrican, Kec. Mojoroto" in notifier.channel.sent[0].body
    assert len(notifier.published_notifications()) == 2


# --- a mail server that says "try later" -------------------------------------------------------------------


class DeferringChannel(InMemoryChannel):
    """Answers "451 try later" to the first `defer` attempts for each recipient in `deferred` (all: None)."""

    def __init__(self, defer: int, deferred: set[str] | None = None) -> None:
        super().__init__()
        self.defer = defer
        self.deferred = deferred
        self.attempts: Counter[str] = Counter()

    def send(self, alert: Alert) -> Delivery:
        self.attempts[alert.to] += 1
        if (self.deferred is None or alert.to in self.deferred) and self.attempts[alert.to] <= self.defer:
            raise TemporaryRefusal("SMTP 451: b'4.3.0 Try again later'")
        return super().send(alert)


HEAD = Contact("DPUPR", "Kepala DPUPR", "kepala.dpupr@kedirikota.example", role="head")
DESK = Contact("DISKOMINFO", "Meja Aduan Diskominfo", "aduan.diskominfo@kedirikota.example", role="complaint_desk")
LIAISON_DPUPR = Contact("DPUPR", "Admin Penghubung DPUPR", "penghubung.dpupr@kedirikota.example")


def with_channel(notifier, channel, contacts, slept: list[float]):
    notifier.deps = replace(
        notifier.deps, channel=channel, directory=StaffDirectory(contacts), sleep=slept.append, retry=RetryPolicy()
    )


def test_a_deferral_that_clears_is_retried_after_a_pause_and_delivered(notifier, complaint) -> None:
    channel, slept = DeferringChannel(defer=2), []
    with_channel(notifier, channel, [LIAISON_DPUPR, HEAD], slept)

    deliver(notifier, complaint)

    assert slept == [1.0, 4.0]
    assert channel.attempts[LIAISON_DPUPR.email] == 3
    assert [(n.recipient, n.outcome) for n in notifier.published_notifications()] == [
        (LIAISON_DPUPR.email, NotificationOutcome.DELIVERED)
    ]


def test_a_deferral_that_persists_is_recorded_as_failed_and_escalated_to_the_opd_head(
    notifier, complaint, caplog
) -> None:
    channel, slept = DeferringChannel(defer=100, deferred={LIAISON_DPUPR.email}), []
    with_channel(notifier, channel, [LIAISON_DPUPR, HEAD, DESK], slept)

    with caplog.at_level(logging.ERROR):
        recorded = deliver(notifier, complaint)  # returns: the consumer commits and moves on to the next complaint

    assert channel.attempts[LIAISON_DPUPR.email] == RetryPolicy().attempts == 3
    assert slept == [1.0, 4.0]
    failed, escalated = notifier.published_notifications()
    assert (failed.recipient, failed.outcome) == (LIAISON_DPUPR.email, NotificationOutcome.FAILED)
    assert failed.detail == "gave up after 3 attempts: SMTP 451: b'4.3.0 Try again later'"
    assert (escalated.recipient, escalated.outcome) == (HEAD.email, NotificationOutcome.DELIVERED)
    (mail,) = channel.sent
    assert mail.to == HEAD.email
    assert mail.subject.startswith("[Suara] GAGAL TERKIRIM: Aduan KDR-3Q7ZK-M0P4X untuk DPUPR")
    assert "gave up after 3 attempts" in mail.body
    assert "Jalan Merbabu" in mail.body
    assert [r.event.sequence for r in recorded] == [3, 4]
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.complaint_id == complaint.routed.complaint_id
    assert LIAISON_DPUPR.email in error.getMessage()


def test_a_failed_alert_goes_to_the_complaint_desk_when_the_opd_names_no_head(notifier, complaint) -> None:
    with_channel(notifier, RefusingChannel(), [LIAISON_DPUPR, DESK], [])

    deliver(notifier, complaint)

    assert [n.recipient for n in notifier.published_notifications()] == [LIAISON_DPUPR.email, DESK.email]


def test_a_redelivered_routing_after_a_failure_sends_and_escalates_nothing_again(notifier, complaint) -> None:
    channel = DeferringChannel(defer=100, deferred={LIAISON_DPUPR.email})
    with_channel(notifier, channel, [LIAISON_DPUPR, HEAD], [])
    deliver(notifier, complaint)

    again = handle_event(complaint.routed, notifier.deps)

    assert [r.created for r in again] == [False, False]
    assert channel.attempts[LIAISON_DPUPR.email] == 3
    assert [a.to for a in channel.sent] == [HEAD.email]


def test_a_failure_with_nobody_to_escalate_to_is_logged_as_an_error(notifier, complaint, caplog) -> None:
    with_channel(notifier, DeferringChannel(defer=100), [LIAISON_DPUPR], [])

    with caplog.at_level(logging.ERROR):
        deliver(notifier, complaint)

    assert [n.outcome for n in notifier.published_notifications()] == [NotificationOutcome.FAILED]
    assert any(r.levelno == logging.ERROR for r in caplog.records)
