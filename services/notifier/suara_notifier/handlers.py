"""The notifier's use cases: remember what was submitted; alert staff when a complaint is routed to them, and when a
lifecycle event needs someone to act (a dispatch, a hand-back, a breached deadline, an escalation)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from suara_complaint import Actor as LifecycleActor
from suara_complaint import Deadline, Role, Stage, Status
from suara_complaint import Event as LifecycleEvent
from suara_complaint import commands as lcc
from suara_complaint import deadlines as schedule
from suara_complaint import events as lc
from suara_kit import codec
from suara_kit.complaints import ComplaintStore, Refused
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
from suara_kit.recording import Recorded
from suara_notifier.adapters.channels import Channel, TemporaryRefusal
from suara_notifier.adapters.stores import ComplaintBook, DeliveryLog
from suara_notifier.domain.lifecycle_alerts import NOTICES, Audience, Facts, Notice, compose_notice, notices_for
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
NOTIFIER = LifecycleActor(PRODUCER, Role.SYSTEM)
log = logging.getLogger(__name__)

# Records one StaffNotified: (contact alerted, delivery, event id / idempotency key, agency the alert is about).
Record = Callable[[Contact, Delivery, str, str], list[Recorded]]


@dataclass(frozen=True)
class NotifierDeps:
    directory: StaffDirectory
    book: ComplaintBook
    channel: Channel
    deliveries: DeliveryLog
    complaints: ComplaintStore  # every alert is recorded through the aggregate (RecordNotification)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep


def handle_event(event: Event, deps: NotifierDeps) -> list[Recorded]:
    payload = event.payload
    if isinstance(payload, ComplaintSubmitted):
        remember_submitted(event, payload, deps.book)
        return []
    if isinstance(payload, ComplaintRouted):
        return notify_staff(event, payload, deps)
    if isinstance(payload, lc.ComplaintSubmitted):
        remember_lifecycle_submitted(payload, deps.book)
        return []
    if isinstance(payload, LifecycleEvent) and type(payload) in NOTICES:
        return alert_lifecycle(event, payload, deps)
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


def remember_lifecycle_submitted(submitted: lc.ComplaintSubmitted, book: ComplaintBook) -> None:
    """A complaint submitted through the aggregate's vocabulary: the kelurahan's code only, no names."""
    book.remember(
        ComplaintSummary(
            complaint_id=submitted.complaint_id,
            tracking_number=submitted.tracking_number,
            text=submitted.text,
            category=submitted.category,
            kelurahan="",
            kecamatan="",
            anonymous=submitted.anonymous,
        )
    )


def alert_lifecycle(event: Event, change: LifecycleEvent, deps: NotifierDeps) -> list[Recorded]:
    """Alert whoever must act on `change` (lifecycle_alerts.notices_for) and record each alert as the lifecycle's
    StaffNotified through ComplaintStore.execute(RecordNotification), so it is part of the complaint's history.

    The alert's id, the mail's Message-ID and the command's idempotency key are one value derived from the cause
    event's id and the recipient: a redelivered event finds the delivery in the log (no second mail) and the
    aggregate answers the repeated RecordNotification with no event."""
    facts = _facts(event, change, deps)

    def record(contact: Contact, delivery: Delivery, alert_id: str, agency: str) -> list[Recorded]:
        return _record_notification(event, contact, delivery, alert_id, agency, deps)

    recorded: list[Recorded] = []
    for notice in notices_for(change, facts):
        contacts = _audience(notice, deps.directory)
        about = notice.agency or (facts.opd or "")
        if not contacts:
            missing = Contact(notice.agency or "meja koordinator", "", "")
            detail = f"no {notice.audience} contact for {missing.agency} in the staff directory"
            delivery = Delivery(NotificationOutcome.FAILED, detail)
            alert_id = derived_id(event.event_id, "StaffNotified", str(notice.audience), missing.agency)
            log.error(detail, extra={"complaint_id": event.complaint_id, "event_id": event.event_id})
            recorded += record(missing, delivery, alert_id, about)
            continue
        for contact in contacts:
            alert_id = derived_id(event.event_id, "StaffNotified", contact.email)
            alert = compose_notice(notice, facts, contact, alert_id)
            delivery = _deliver(alert, deps)
            recorded += record(contact, delivery, alert_id, about)
            if delivery.outcome is NotificationOutcome.FAILED and notice.audience is Audience.OPD:
                recorded += _escalate(event, notice.agency, alert, delivery, deps, record)
    return recorded


def _audience(notice: Notice, directory: StaffDirectory) -> list[Contact]:
    if notice.audience is Audience.OPD:
        return directory.contacts_for(notice.agency)
    if notice.audience is Audience.HEAD:
        return directory.escalation_for(notice.agency)
    return directory.desk()


def _facts(event: Event, change: LifecycleEvent, deps: NotifierDeps) -> Facts:
    """The complaint as the journal has it now (the OPD that holds it, whether the coordinator must decide), and
    for a dispatch the deadlines it opened, on the same calendar the aggregate uses."""
    state = deps.complaints.load(event.complaint_id).state
    opd = state.opd if state is not None else None
    acknowledge_by = resolve_by = None
    if isinstance(change, lc.ComplaintDispatched | lc.OwnerDecided):
        opd = change.opd
        calendar = deps.complaints.calendar
        opened = ((change.at, None),)
        acknowledge_by = schedule.due_at(
            Deadline("", Stage.ACKNOWLEDGE, opd, change.acknowledge_within, opened), calendar
        )
        resolve_by = schedule.due_at(Deadline("", Stage.RESOLVE, opd, change.resolve_within, opened), calendar)
    elif isinstance(change, lc.DeadlineBreached) and change.opd:
        opd = change.opd
    elif isinstance(change, lc.ComplaintEscalated) and change.deadline_id and state is not None:
        deadline = state.deadline(change.deadline_id)
        if deadline is not None and deadline.opd:
            opd = deadline.opd
    return Facts(
        complaint_id=event.complaint_id,
        summary=deps.book.get(event.complaint_id),
        opd=opd,
        awaiting_owner_decision=state is not None and state.status is Status.NEEDS_COORDINATOR,
        acknowledge_by=acknowledge_by,
        resolve_by=resolve_by,
    )


def _record_notification(
    event: Event, contact: Contact, delivery: Delivery, alert_id: str, agency: str, deps: NotifierDeps
) -> list[Recorded]:
    command = lcc.RecordNotification(
        complaint_id=event.complaint_id,
        actor=NOTIFIER,
        idempotency_key=alert_id,
        opd=agency,
        channel=deps.channel.name,
        recipient=contact.email,
        outcome=delivery.outcome.value,
        detail=delivery.detail,
    )
    try:
        outcome = deps.complaints.execute(command)
    except Refused as refused:  # permanent: the alert went out; only its record is missing, and the log says so
        log.error(
            "could not record the alert to %s: %s",
            contact.email,
            refused.refusal.message,
            extra={"complaint_id": event.complaint_id, "event_id": event.event_id},
        )
        return []
    return [
        Recorded(recorded, codec.encode(recorded), created=True)
        for recorded in outcome.recorded
        if isinstance(recorded.payload, lc.StaffNotified)
    ]


def notify_staff(event: Event, routed: ComplaintRouted, deps: NotifierDeps) -> list[Recorded]:
    """Alert every contact of every agency the routing names (the one it is routed to, every other responder of an
    emergency, the coordinator's desk when it must act) and record one StaffNotified per contact alerted.

    The delivery log is consulted before sending, so a redelivered ComplaintRouted sends nothing again; the
    one gap left is a crash between the SMTP server accepting a mail and the log saving it, where the mail is
    sent a second time (with the same Message-ID). At-least-once is the right side to err on for an alert."""
    complaint = deps.book.get(event.complaint_id)

    def record(contact: Contact, delivery: Delivery, alert_id: str, agency: str) -> list[Recorded]:
        return [_record(event, contact, delivery, deps, alert_id, agency=agency)]

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
            recorded += _escalate(event, agency, alert, delivery, deps, record)
            continue
        for contact in contacts:
            alert_id = _alert_id(event, contact, routed)
            alert = compose_alert(complaint, event.complaint_id, routed, contact, alert_id, recipient.purpose)
            delivery = _deliver(alert, deps)
            recorded.append(_record(event, contact, delivery, deps, alert_id))
            if delivery.outcome is NotificationOutcome.FAILED:
                recorded += _escalate(event, agency, alert, delivery, deps, record)
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


def _escalate(
    event: Event, agency: str, failed: Alert, delivery: Delivery, deps: NotifierDeps, record: Record
) -> list[Recorded]:
    """An alert that could not be delivered is an error someone must see: logged at ERROR, and mailed to the
    agency's head or the complaint desk when the directory names one (each recorded as StaffNotified too, in the
    vocabulary of the alert that failed: `record`)."""
    log.error(
        "alert for %s to %r failed: %s",
        agency,
        failed.to,
        delivery.detail,
        extra={"complaint_id": event.complaint_id, "event_id": event.event_id, "correlation_id": event.correlation_id},
    )
    recorded: list[Recorded] = []
    for contact in deps.directory.escalation_for(agency):
        escalation_id = derived_id(failed.message_id, "Escalated", contact.email)
        alert = compose_escalation(failed, agency, delivery.detail, contact, escalation_id)
        outcome = _deliver(alert, deps)
        if outcome.outcome is NotificationOutcome.FAILED:
            log.error("escalation to %s failed too: %s", contact.email, outcome.detail)
        recorded += record(contact, outcome, escalation_id, agency)
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
    """One StaffNotified for one alert about a routing: `agency` is the agency the alert was about (the contact's
    own, unless this is an escalation to another agency's head or the complaint desk). Decided by the aggregate
    (RecordNotification keyed by the alert's id) and recorded in the skeleton's StaffNotified, its wire form."""
    command = lcc.RecordNotification(
        complaint_id=event.complaint_id,
        actor=NOTIFIER,
        idempotency_key=event_id,
        opd=agency or contact.agency,
        channel=deps.channel.name,
        recipient=contact.email,
        outcome=delivery.outcome.value,
        detail=delivery.detail,
    )

    def wire(decided: lc.Event, sequence: int) -> Event:
        return Event(
            event_id=event_id,
            complaint_id=event.complaint_id,
            sequence=sequence,
            occurred_at=decided.at,
            actor=Actor(ActorKind.SERVICE, PRODUCER),
            correlation_id=event.correlation_id,
            causation_id=event.event_id,  # the routing it is about
            producer=PRODUCER,
            payload=StaffNotified(
                opd_code=command.opd,
                channel=command.channel,
                recipient=command.recipient,
                outcome=delivery.outcome,
                detail=delivery.detail,
            ),
        )

    outcome = deps.complaints.execute(command, wire=wire)
    recorded = next((e for e in outcome.recorded if e.event_id == event_id), None)
    if recorded is not None:
        return Recorded(recorded, codec.encode(recorded), created=True)
    # A redelivery: the alert was recorded before; answer with what the journal holds.
    stored = next(e for e in deps.complaints.journal.stream(event.complaint_id) if e.event_id == event_id)
    return Recorded(codec.decode(stored.data), stored.data, created=False)
