"""Intake's use cases: submit a complaint, trace one. Each names the ports it needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from suara_intake.adapters.contacts import ContactStore
from suara_intake.adapters.timeline import Timeline, TimelineView
from suara_intake.domain.model import (
    IdempotencyKeyReused,
    IntakeCatalogue,
    SubmitComplaint,
    ValidComplaint,
    complaint_id_for,
    tracking_number_for,
    validate,
)
from suara_intake.domain.text import quoted
from suara_kit.events import Actor, ActorKind, ComplaintSubmitted, Event, derived_id
from suara_kit.recording import EventRecorder

PRODUCER = "suara-intake"


@dataclass(frozen=True)
class Receipt:
    complaint_id: str
    tracking_number: str
    replayed: bool


def submit_complaint(
    command: SubmitComplaint,
    *,
    catalogue: IntakeCatalogue,
    recorder: EventRecorder,
    contacts: ContactStore,
    clock: Callable[[], datetime],
    request_id: str,
) -> Receipt:
    """Validate, then record ComplaintSubmitted as sequence 1 of a new complaint. Returns once it is in the journal
    (the relay publishes it)."""
    complaint = validate(command, catalogue)
    complaint_id = complaint_id_for(command.submitted_by, complaint.source_channel, complaint.idempotency_key)
    event_id = derived_id(complaint_id, "ComplaintSubmitted")
    tracking_number = tracking_number_for(complaint_id)

    def build(sequence: int) -> Event:
        return Event(
            event_id=event_id,
            complaint_id=complaint_id,
            sequence=sequence,
            occurred_at=clock(),
            actor=Actor(ActorKind.INTEGRATOR, command.submitted_by),
            correlation_id=request_id,
            causation_id=request_id,
            producer=PRODUCER,
            payload=ComplaintSubmitted(
                tracking_number=tracking_number,
                text=complaint.text,
                category=complaint.category.code if complaint.category else "",
                kelurahan_code=complaint.kelurahan.code if complaint.kelurahan else "",
                kelurahan_name=complaint.kelurahan.name if complaint.kelurahan else "",
                kecamatan_name=complaint.kelurahan.kecamatan if complaint.kelurahan else "",
                source_channel=complaint.source_channel,
                anonymous=complaint.anonymous,
                has_reporter_contact=complaint.reporter is not None,
                idempotency_key=complaint.idempotency_key,
            ),
        )

    recorded = recorder.record(complaint_id, event_id, build)
    if recorded.event.sequence != 1:
        # Only possible if some other writer had put events into this stream first: never accept that silently.
        raise RuntimeError(f"complaint {complaint_id}: ComplaintSubmitted landed at sequence {recorded.event.sequence}")
    if not recorded.created:
        # This key was used before (a retry, or a concurrent request that got there first): nothing new was
        # recorded. It must have been for this very complaint, or the caller is told so.
        _ensure_same_complaint(complaint, recorded.event, complaint_id)
    if complaint.reporter is not None and (recorded.created or contacts.get(complaint_id) is None):
        # Personal data stays out of the immutable log: the event only says that a contact exists. Saved only
        # once this request is known to be this complaint's own, so a refused request never touches another
        # complaint's contact and a replay changes nothing; if we die before saving, the integrator's retry
        # (same key) saves it.
        contacts.save(complaint_id, complaint.reporter)
    return Receipt(complaint_id, tracking_number, replayed=not recorded.created)


def _ensure_same_complaint(complaint: ValidComplaint, earlier: Event, complaint_id: str) -> None:
    payload = earlier.payload
    same = (
        isinstance(payload, ComplaintSubmitted)
        and payload.text == complaint.text
        and payload.category == (complaint.category.code if complaint.category else "")
        and payload.kelurahan_code == (complaint.kelurahan.code if complaint.kelurahan else "")
        and payload.anonymous == complaint.anonymous
    )
    if not same:
        raise IdempotencyKeyReused(complaint.idempotency_key, complaint_id)


class ComplaintNotFound(LookupError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"no complaint with id or tracking number {quoted(reference)}")
        self.reference = reference


def trace_complaint(reference: str, *, timeline: Timeline) -> TimelineView:
    view = timeline.find(reference.strip())
    if view is None:
        raise ComplaintNotFound(reference)
    return view
