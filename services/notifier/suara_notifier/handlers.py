"""The notifier's use cases: remember what was submitted; alert staff when a complaint is routed to them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
from suara_notifier.adapters.channels import Channel, TemporaryRefusal
from suara_notifier.adapters.stores import ComplaintBook, DeliveryLog
from suara_notifier.domain.model import (
    Alert,
    ComplaintSummary,
    Contact,
    Delivery,
    RetryPolicy,
    StaffDirectory,
    compose_alert,
    compose_escalation,
    recipients,
)

PRODUCER = "suara-notifier"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifierDeps:
    directory: StaffDirectory
    book: ComplaintBook
    channel: Channel
    deliveries: DeliveryLog
    recorder: EventRecorder
    clock: Callable[[], datetime]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep


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
    """Alert every contact of every agency the routing names (the one it is routed to, every other responder of an
    emergency, the coordinator's desk when it must act) and record one StaffNotified per contact alerted.

    The delivery log is consulted before sending, so a redelivered ComplaintRouted sends nothing again; the
    one gap left is a crash between the SMTP server accepting a mail and the log saving it, where the mail is
    sent a second time (with the same Message-ID). At-least-once is the right side to err on for an alert."""
    complaint = deps.book.get(event.complaint_id)
    recorded: list[Recorded] = []
    for recipient in recipients(routed):
        agency = recipient.agency
        contacts = deps.directory.contacts_for(agency)
        if not contacts:
            missing = Contact(agency, "", "")
            delivery = Delivery(NotificationOutcome.FAILED, f"no contact for {agency} in the staff directory")
            alert_id = _alert_id(event, missing, routed)
            alert = compose_alert(complaint, event.complaint_id, routed, missing, alert_id, recipient.purpose)
            recorded.append(_record(event, missing, delivery, deps, alert_id))
            recorded += _escalate(event, agency, alert, delivery, deps)
            continue
        for contact in contacts:
            alert_id = _alert_id(event, contact, routed)
            alert = compose_alert(complaint, event.complaint_id, routed, contact, alert_id, recipient.purpose)
            delivery = _deliver(alert, deps)
            recorded.append(_record(event, contact, delivery, deps, alert_id))
            if delivery.outcome is NotificationOutcome.FAILED:
                recorded += _escalate(event, agency, alert, delivery, deps)
    return recorded


def _deliver(alert: Alert, deps: NotifierDeps) -> Delivery:
    """Send the alert unless the delivery log says it went out (or failed for good) already. A channel that says
    "try later" is tried `deps.retry.attempts` times in all; then the failure is the outcome, so that one mailbox
    that stays full holds back the alerts behind it for seconds, not for ever. An unreachable channel (OSError)
    is raised: the consumer retries the event until the channel is back."""
    delivery = deps.deliveries.get(alert.message_id)
    if delivery is not None:
        return delivery
    for attempt, pause in enumerate((*deps.retry.pauses_seconds, None), start=1):
        try:
            delivery = deps.channel.send(alert)
            break
        except TemporaryRefusal as refusal:
            if pause is None:
                delivery = Delivery(NotificationOutcome.FAILED, f"gave up after {attempt} attempts: {refusal}")
                break
            log.warning("alert to %s deferred (attempt %d): %s", alert.to, attempt, refusal)
            deps.sleep(pause)
    assert delivery is not None  # the loop always ends with a delivery
    deps.deliveries.save(alert.message_id, delivery)
    return delivery


def _escalate(event: Event, agency: str, failed: Alert, delivery: Delivery, deps: NotifierDeps) -> list[Recorded]:
    """An alert that could not be delivered is an error someone must see: logged at ERROR, and mailed to the
    agency's head or the complaint desk when the directory names one (each recorded as StaffNotified too)."""
    log.error(
        "alert for %s to %r failed: %s",
        agency,
        failed.to,
        delivery.detail,
        extra={"complaint_id": event.complaint_id, "event_id": event.event_id, "correlation_id": event.correlation_id},
    )
    recorded = []
    for contact in deps.directory.escalation_for(agency):
        escalation_id = derived_id(failed.message_id, "Escalated", contact.email)
        alert = compose_escalation(failed, agency, delivery.detail, contact, escalation_id)
        outcome = _deliver(alert, deps)
        if outcome.outcome is NotificationOutcome.FAILED:
            log.error("escalation to %s failed too: %s", contact.email, outcome.detail)
        recorded.append(_record(event, contact, outcome, deps, escalation_id, agency=agency))
    return recorded


def _alert_id(event: Event, contact: Contact, routed: ComplaintRouted) -> str:
    """Derived from the routing and the recipient, so a redelivery finds the alert it sent. An alert to the agency
    the complaint is routed to keeps the id it had before several agencies could be alerted."""
    if contact.agency == routed.opd_code:
        return derived_id(event.event_id, "StaffNotified", contact.email)
    return derived_id(event.event_id, "StaffNotified", contact.agency, contact.email)


def _record(
    event: Event,
    contact: Contact,
    delivery: Delivery,
    deps: NotifierDeps,
    event_id: str,
    agency: str | None = None,
) -> Recorded:
    """One StaffNotified for one alert: `agency` is the agency the alert was about (the contact's own, unless this
    is an escalation to another agency's head or the complaint desk)."""

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
                opd_code=agency or contact.agency,
                channel=deps.channel.name,
                recipient=contact.email,
                outcome=delivery.outcome,
                detail=delivery.detail,
            ),
        )

    return deps.recorder.record(event.complaint_id, event_id, build)
