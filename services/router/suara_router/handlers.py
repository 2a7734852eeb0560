"""The router's use cases: read a submitted complaint and route it (Route or RouteToDesk through the aggregate,
recorded as ComplaintRouted with the routing evidence); re-dispatch a complaint an OPD handed back (Bukan Wewenang)
through the aggregate, never to an OPD that refused it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from suara_complaint import Actor as LifecycleActor
from suara_complaint import RefusalKind, Role, Status
from suara_complaint import commands as lifecycle_commands
from suara_complaint import events as lifecycle
from suara_kit.complaint_stream import dispatched_by_router, routing_priority
from suara_kit.complaints import ComplaintStore, Outcome, Refused
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    RoutingSuggestion,
    derived_id,
)
from suara_router.adapters.recent_complaints import RecentComplaints
from suara_router.domain.redispatch import next_opd
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
log = logging.getLogger(__name__)


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
    complaints: ComplaintStore  # the one write path: routing and re-dispatch are the aggregate's Route commands
    clock: Callable[[], datetime]
    coordinator_desk: str
    dispatchable: Callable[[str], bool] = lambda opd: True  # which agencies may receive a complaint


def handle_event(event: Event, deps: RouterDeps) -> Outcome | None:
    """The router's part of the flow: submitted complaints are routed, handed-back ones re-dispatched."""
    if isinstance(event.payload, ComplaintSubmitted):
        return route_submitted_complaint(event, deps)
    if isinstance(event.payload, lifecycle.ComplaintHandedBack):
        return redispatch_handed_back(event.payload, deps)
    return None


ROUTER_ACTOR = LifecycleActor(PRODUCER, Role.SYSTEM)


def redispatch_handed_back(handed_back: lifecycle.ComplaintHandedBack, deps: RouterDeps) -> Outcome | None:
    """Send a complaint an OPD handed back to the next OPD (Route through the aggregate, which refuses any OPD that
    handed it back). Nothing when the cap was reached (the coordinator decides), when it already moved on, or when
    no OPD is left (it waits on the coordinator's desk as `returned`). Idempotent: the command's key derives from
    the hand-back's event id."""
    loaded = deps.complaints.load(handed_back.complaint_id)
    state = loaded.state
    if state is None or state.status is not Status.RETURNED:
        return None
    routed = next((e.payload for e in loaded.events if isinstance(e.payload, ComplaintRouted)), None)
    alternatives = [s.opd_code for s in routed.alternatives] if routed else []
    if routed and routed.opd_code:
        alternatives.insert(0, routed.opd_code)
    choice = next_opd(
        suggested=handed_back.suggested_opd,
        alternatives=alternatives,
        refused_by=state.handed_back_by,
        dispatchable=lambda opd: opd != deps.coordinator_desk and deps.dispatchable(opd),
    )
    if choice is None:
        return None
    command = lifecycle_commands.Route(
        complaint_id=handed_back.complaint_id,
        actor=ROUTER_ACTOR,
        idempotency_key=f"redispatch:{handed_back.event_id}",
        opd=choice.opd,
        rule_id="redispatch-after-hand-back",
        reason=f"{handed_back.opd} handed it back ({handed_back.reason}); to {choice.opd}: {choice.why}",
    )
    try:
        return deps.complaints.execute(command, display_name="Suara router")
    except Refused as refused:  # the complaint moved on meanwhile (the coordinator acted): nothing to do
        if refused.refusal.kind in (RefusalKind.ILLEGAL_TRANSITION, RefusalKind.STALE_VERSION):
            return None
        raise


def route_submitted_complaint(event: Event, deps: RouterDeps) -> Outcome | None:
    """Route a ComplaintSubmitted; other events are not the router's business (returns None).

    The reading becomes the aggregate's Route (to an OPD) or RouteToDesk (the coordinator's desk), keyed by the
    submitted event's id, and is recorded as the topic's ComplaintRouted with the whole evidence (its wire form).
    A redelivered ComplaintSubmitted reads the same text to the same decision and is a retry: nothing new is
    recorded. When the coordinator acted first (dispatched, archived), the aggregate refuses the routing and nothing
    is recorded. The complaint is remembered for duplicate detection before anything is recorded, so a crash in
    between loses nothing (remembering twice is a no-op, and a complaint is never its own duplicate)."""
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
    evidence = routed(decision)
    command = routing_command(event, evidence)

    def wire(decided: lifecycle.Event, sequence: int) -> Event:
        return Event(
            event_id=derived_id(event.event_id, "ComplaintRouted"),
            complaint_id=event.complaint_id,
            sequence=sequence,
            occurred_at=decided.at,
            actor=Actor(ActorKind.SERVICE, PRODUCER),
            correlation_id=event.correlation_id,
            causation_id=decided.command_key,
            producer=PRODUCER,
            payload=evidence,
        )

    try:
        return deps.complaints.execute(command, display_name="Suara router", wire=wire)
    except Refused as refused:  # the coordinator acted first, or an earlier reading of this event differed
        log.warning(
            "routing not recorded: %s",
            refused.refusal.message,
            extra={"complaint_id": event.complaint_id, "event_id": event.event_id, "rule": refused.refusal.rule},
        )
        return None


def routing_command(
    submitted: Event, evidence: ComplaintRouted
) -> lifecycle_commands.Route | lifecycle_commands.RouteToDesk:
    """The aggregate's command for the router's reading of `submitted`: Route when it dispatches (an emergency the
    desk must also see still goes to its first responder), RouteToDesk when the coordinator decides."""
    if dispatched_by_router(evidence):
        return lifecycle_commands.Route(
            complaint_id=submitted.complaint_id,
            actor=ROUTER_ACTOR,
            idempotency_key=submitted.event_id,
            opd=evidence.opd_code,
            rule_id=evidence.rule_id,
            reason=evidence.reason,
            priority=routing_priority(evidence),
        )
    return lifecycle_commands.RouteToDesk(
        complaint_id=submitted.complaint_id,
        actor=ROUTER_ACTOR,
        idempotency_key=submitted.event_id,
        rule_id=evidence.rule_id,
        reason=evidence.reason,
    )


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
