"""Alerting staff with fakes: one mail per contact, one StaffNotified each, and nothing twice."""

from __future__ import annotations

from dataclasses import replace

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from suara_kit import codec
from suara_kit.events import ActorKind, NotificationOutcome, StaffNotified, derived_id
from suara_notifier.adapters.channels import InMemoryChannel
from suara_notifier.bootstrap import event_handler
from suara_notifier.domain.model import Alert, ComplaintSummary, Delivery, StaffDirectory
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
