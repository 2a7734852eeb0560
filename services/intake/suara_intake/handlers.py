"""Intake's use cases: submit a complaint, trace one. Each names the ports it needs."""

from __future__ import annotations

from dataclasses import dataclass

from suara_complaint import Actor as LifecycleActor
from suara_complaint import Priority, RefusalKind, Role
from suara_complaint import commands as lifecycle_commands
from suara_complaint import events as lifecycle
from suara_intake.adapters.contacts import ContactStore
from suara_intake.adapters.timeline import Timeline, TimelineView
from suara_intake.domain.model import (
    IdempotencyKeyReused,
    IntakeCatalogue,
    InvalidComplaint,
    SubmitComplaint,
    ValidComplaint,
    complaint_id_for,
    tracking_number_for,
    validate,
)
from suara_intake.domain.text import quoted
from suara_kit.complaints import ComplaintStore, Refused
from suara_kit.events import Actor, ActorKind, ComplaintSubmitted, Event, derived_id

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
    complaints: ComplaintStore,
    contacts: ContactStore,
    request_id: str,
) -> Receipt:
    """Validate, then have the aggregate decide Submit (a new complaint; a retry with the same key records nothing)
    and record its ComplaintSubmitted as sequence 1. Returns once it is in the journal (the relay publishes it).

    On the topic the decision travels as the skeleton's ComplaintSubmitted, which also carries the kelurahan's
    names and the idempotency key (its wire form; ComplaintStore checks that it reads back as the decision)."""
    complaint = validate(command, catalogue)
    complaint_id = complaint_id_for(command.submitted_by, complaint.source_channel, complaint.idempotency_key)
    kelurahan = complaint.kelurahan
    submit = lifecycle_commands.Submit(
        complaint_id=complaint_id,
        actor=LifecycleActor(command.submitted_by, Role.INTEGRATOR),
        idempotency_key=complaint.idempotency_key,
        tracking_number=tracking_number_for(complaint_id),
        category=complaint.category.code if complaint.category else "",
        # Nothing has read the text yet: the router's reading sets the priority (an emergency's minutes).
        priority=Priority.NORMAL,
        text=complaint.text,
        kelurahan_code=kelurahan.code if kelurahan else "",
        source_channel=str(complaint.source_channel),
        anonymous=complaint.anonymous,
        has_reporter_contact=complaint.reporter is not None,
    )

    def wire(decided: lifecycle.Event, sequence: int) -> Event:
        assert isinstance(decided, lifecycle.ComplaintSubmitted)
        return Event(
            event_id=derived_id(complaint_id, "ComplaintSubmitted"),
            complaint_id=complaint_id,
            sequence=sequence,
            occurred_at=decided.at,
            actor=Actor(ActorKind.INTEGRATOR, command.submitted_by),
            correlation_id=request_id,
            causation_id=request_id,
            producer=PRODUCER,
            payload=ComplaintSubmitted(
                tracking_number=decided.tracking_number,
                text=decided.text,
                category=decided.category,
                kelurahan_code=decided.kelurahan_code,
                kelurahan_name=kelurahan.name if kelurahan else "",
                kecamatan_name=kelurahan.kecamatan if kelurahan else "",
                source_channel=complaint.source_channel,
                anonymous=decided.anonymous,
                has_reporter_contact=decided.has_reporter_contact,
                idempotency_key=decided.command_key,
            ),
        )

    try:
        outcome = complaints.execute(submit, wire=wire)
    except Refused as refused:
        refusal = refused.refusal
        if refusal.rule == "idempotency-key-reused" or refusal.kind is RefusalKind.ALREADY_EXISTS:
            raise IdempotencyKeyReused(complaint.idempotency_key, complaint_id) from None
        raise InvalidComplaint(refusal.command, refusal.message) from None
    created = bool(outcome.recorded)
    if not created:
        # This key was used before (a retry, or a concurrent request that got there first): nothing new was
        # recorded. It must have been for this very complaint, or the caller is told so.
        _ensure_same_complaint(complaint, complaints.load(complaint_id).events[0], complaint_id)
    if complaint.reporter is not None and (created or contacts.get(complaint_id) is None):
        # Personal data stays out of the immutable log: the event only says that a contact exists. Saved only
        # once this request is known to be this complaint's own, so a refused request never touches another
        # complaint's contact and a replay changes nothing; if we die before saving, the integrator's retry
        # (same key) saves it.
        contacts.save(complaint_id, complaint.reporter)
    return Receipt(complaint_id, submit.tracking_number, replayed=not created)


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
