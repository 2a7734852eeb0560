"""The router's use case: read a submitted complaint, route it, and record ComplaintRouted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    RoutingSuggestion,
    derived_id,
)
from suara_kit.recording import EventRecorder, Recorded
from suara_router.adapters.recent_complaints import RecentComplaints
from suara_router.domain.routing import Catalogue
from suara_router.domain.text_routing import (
    Classifier,
    ComplaintToRead,
    Duplicate,
    RecentComplaint,
    TextRoutingDecision,
    decide,
)
from suara_routing.decision import Classification, UnknownCategory, UnknownKelurahan
from suara_routing.duplicates import PossibleDuplicate, Report

PRODUCER = "suara-router"


class DuplicateFinder(Protocol):
    """suara_routing's DuplicateFinder: the category's window, and the most similar earlier report if any."""

    def window(self, category: str) -> timedelta: ...

    def find(self, new: Report, earlier: list[Report]) -> PossibleDuplicate | None: ...


@dataclass(frozen=True)
class RouterDeps:
    catalogue: Catalogue
    classifier: Classifier
    duplicates: DuplicateFinder
    recent: RecentComplaints
    recorder: EventRecorder
    clock: Callable[[], datetime]
    coordinator_desk: str


def route_submitted_complaint(event: Event, deps: RouterDeps) -> Recorded | None:
    """Route a ComplaintSubmitted; other events are not the router's business (returns None).

    A redelivered ComplaintSubmitted reads the same text to the same decision, finds its ComplaintRouted already
    recorded (the event id derives from the cause) and records nothing new. The complaint is remembered for
    duplicate detection before the event is recorded, so a crash in between loses nothing (remembering twice is
    a no-op, and a complaint is never its own duplicate)."""
    submitted = event.payload
    if not isinstance(submitted, ComplaintSubmitted):
        return None
    complaint = ComplaintToRead(submitted.text, submitted.category, submitted.kelurahan_name, event.occurred_at)
    classification, unknown_category = _classify(complaint, deps.classifier)
    text = classification.normalised_text
    kelurahan_in_text = classification.kelurahan_in_text
    this = RecentComplaint(
        complaint_id=event.complaint_id,
        tracking_number=submitted.tracking_number,
        # By name, the integrator's or else the one the text names, so both kinds of report meet.
        kelurahan=submitted.kelurahan_name or kelurahan_in_text or "",
        category=classification.category,
        received_at=event.occurred_at,
        normalised_text=text,
    )
    # Without a kelurahan there is no neighbourhood to compare within: the whole city would be one bucket.
    duplicate = _possible_duplicate(this, deps) if this.kelurahan else None
    decision = decide(
        complaint,
        classification,
        duplicate=duplicate,
        kelurahan_in_text=kelurahan_in_text,
        catalogue=deps.catalogue,
        coordinator_desk=deps.coordinator_desk,
        unknown_category=unknown_category,
    )
    if this.kelurahan:
        deps.recent.add(this, keep_after=event.occurred_at - deps.duplicates.window(this.category))
    event_id = derived_id(event.event_id, "ComplaintRouted")

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
            payload=routed(decision),
        )

    return deps.recorder.record(event.complaint_id, event_id, build)


def _classify(complaint: ComplaintToRead, classifier: Classifier) -> tuple[Classification, str]:
    """The classification, and the given category when the router's catalogue does not know it (intake and router
    can run different catalogue versions): the text then decides, as if no category had been given."""
    category = complaint.category or None
    kelurahan = complaint.kelurahan or None
    try:
        return classifier.classify(complaint.text, category, kelurahan), ""
    except UnknownKelurahan:
        return _classify(ComplaintToRead(complaint.text, complaint.category, "", complaint.received_at), classifier)
    except UnknownCategory:
        return classifier.classify(complaint.text, None, kelurahan), complaint.category


def _possible_duplicate(this: RecentComplaint, deps: RouterDeps) -> Duplicate | None:
    earlier = deps.recent.between(
        this.kelurahan, this.category, this.received_at - deps.duplicates.window(this.category), this.received_at
    )
    by_id = {r.complaint_id: r for r in earlier}
    found = deps.duplicates.find(_report(this), [_report(r) for r in earlier])
    return Duplicate(by_id[found.complaint_id], found.similarity) if found else None


def _report(complaint: RecentComplaint) -> Report:
    c = complaint
    return Report(c.complaint_id, c.normalised_text, c.kelurahan, c.category, c.received_at)


def routed(decision: TextRoutingDecision) -> ComplaintRouted:
    c = decision.classification
    duplicate = decision.duplicate
    return ComplaintRouted(
        opd_code=decision.agency.code,
        opd_name=decision.agency.name,
        priority=decision.priority,
        due_at=decision.due_at,
        rule_id=decision.rule_id,
        reason=decision.reason,
        routing_model_version=c.model_version,
        confidence=decision.confidence,
        alternatives=tuple(RoutingSuggestion(s.category, s.opd, s.score) for s in c.alternatives),
        top_terms=c.top_terms,
        category=decision.category,
        category_source=decision.category_source,
        classifier_category=decision.classifier_category,
        emergency=decision.emergency,
        emergency_kind=decision.emergency_kind,
        responders=decision.responders,
        outside_authority=decision.outside_authority,
        needs_coordinator=decision.needs_coordinator,
        coordinator_desk=decision.coordinator_desk,
        possible_duplicate_of=duplicate.of.complaint_id if duplicate else "",
        possible_duplicate_tracking_number=duplicate.of.tracking_number if duplicate else "",
        duplicate_similarity=duplicate.similarity if duplicate else 0.0,
        kelurahan_in_text=decision.kelurahan_in_text,
    )
