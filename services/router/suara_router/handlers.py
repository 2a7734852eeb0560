"""The router's use case: route a submitted complaint and record ComplaintRouted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from suara_kit.events import Actor, ActorKind, ComplaintRouted, ComplaintSubmitted, Event, derived_id
from suara_kit.recording import EventRecorder, Recorded
from suara_router.domain.routing import Catalogue, ComplaintToRoute, route

PRODUCER = "suara-router"


def route_submitted_complaint(
    event: Event, *, catalogue: Catalogue, recorder: EventRecorder, clock: Callable[[], datetime]
) -> Recorded | None:
    """Route a ComplaintSubmitted; other events are not the router's business (returns None).
    A redelivered ComplaintSubmitted finds its ComplaintRouted already recorded and records nothing new."""
    submitted = event.payload
    if not isinstance(submitted, ComplaintSubmitted):
        return None
    decision = route(ComplaintToRoute(submitted.category, submitted.text, event.occurred_at), catalogue)
    event_id = derived_id(event.event_id, "ComplaintRouted")

    def build(sequence: int) -> Event:
        return Event(
            event_id=event_id,
            complaint_id=event.complaint_id,
            sequence=sequence,
            occurred_at=clock(),
            actor=Actor(ActorKind.SERVICE, PRODUCER),
            correlation_id=event.correlation_id,
            causation_id=event.event_id,
            producer=PRODUCER,
            payload=ComplaintRouted(
                opd_code=decision.agency.code,
                opd_name=decision.agency.name,
                priority=decision.priority,
                due_at=decision.due_at,
                rule_id=decision.rule_id,
                reason=decision.reason,
            ),
        )

    return recorder.record(event.complaint_id, event_id, build)
