"""The notifier's use cases: remember what was submitted; alert staff when a complaint is routed to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    NotificationOutcome,
    StaffNotified,
    derived_id,
)
from suara_kit.recording import EventRecorder, Recorded
from suara_notifier.adapters.channels import Channel
from suara_notifier.adapters.stores import ComplaintBook, DeliveryLog
from suara_notifier.domain.model import ComplaintSummary, Contact, Delivery, StaffDirectory, compose_alert

PRODUCER = "suara-notifier"


@dataclass(frozen=True)
class NotifierDeps:
    directory: StaffDirectory
    book: ComplaintBook
    channel: Channel
    deliveries: DeliveryLog
    recorder: EventRecorder
    clock: Callable[[], datetime]


def handle_event(event: Event, deps: NotifierDeps) -> list[Recorded]:
    if isinstance(event.payload, ComplaintSubmitted):
        remember_submitted(event, event.payload, deps.book)
        return []
    if isinstance(event.payload, ComplaintRouted):
        return notify_staff(event, event.payload, deps)
    return []


def remember_submitted(event: Event, submitted: ComplaintSubmitted, book: ComplaintBook) -> None:
    book.remember(
        ComplaintSummary(
            complaint_id=event.complaint_id,
            tracking_number=submitted.tracking_number,
            text=submitted.text,
            category=submitted.category,
            kelurahan=submitted.kelurahan_name,
            kecamatan=submitted.kecamatan_name,
            anonymous=submitted.anonymous,
        )
    )


def notify_staff(event: Event, routed: ComplaintRouted, deps: NotifierDeps) -> list[Recorded]:
    """Alert every contact of the OPD and record one StaffNotified per contact.

    The delivery log is consulted before sending, so a redelivered ComplaintRouted sends nothing again; the
    one gap left is a crash between the SMTP server accepting a mail and the log saving it, where the mail is
    sent a second time (with the same Message-ID). At-least-once is the right side to err on for an alert."""
    contacts = deps.directory.contacts_for(routed.opd_code)
    if not contacts:
        missing = Contact(routed.opd_code, "", "")
        detail = f"no contact for {routed.opd_code} in the staff directory"
        return [_record(event, routed, missing, Delivery(NotificationOutcome.FAILED, detail), deps)]
    complaint = deps.book.get(event.complaint_id)
    recorded = []
    for contact in contacts:
        alert_id = _alert_id(event, contact)
        delivery = deps.deliveries.get(alert_id)
        if delivery is None:
            delivery = deps.channel.send(compose_alert(complaint, event.complaint_id, routed, contact, alert_id))
            deps.deliveries.save(alert_id, delivery)
        recorded.append(_record(event, routed, contact, delivery, deps))
    return recorded


def _alert_id(event: Event, contact: Contact) -> str:
    return derived_id(event.event_id, "StaffNotified", contact.email)


def _record(
    event: Event, routed: ComplaintRouted, contact: Contact, delivery: Delivery, deps: NotifierDeps
) -> Recorded:
    event_id = _alert_id(event, contact)

    def build(sequence: int) -> Event:
        return Event(
            event_id=event_id,
            complaint_id=event.complaint_id,
            sequence=sequence,
            occurred_at=deps.clock(),
            actor=Actor(ActorKind.SERVICE, PRODUCER),
            correlation_id=event.correlation_id,
            causation_id=event.event_id,
            producer=PRODUCER,
            payload=StaffNotified(
                opd_code=routed.opd_code,
                channel=deps.channel.name,
                recipient=contact.email,
                outcome=delivery.outcome,
                detail=delivery.detail,
            ),
        )

    return deps.recorder.record(event.complaint_id, event_id, build)
