"""A complaint's stream in the aggregate's vocabulary (suara_complaint), whichever vocabulary wrote each event.

The topic and the journal carry two vocabularies (docs/decisions/0023-two-vocabularies-one-aggregate.md): the
walking skeleton's three types (ComplaintSubmitted, ComplaintRouted, StaffNotified), which are the wire forms in
which intake, the router's first reading and the notifier's routing alerts record what the aggregate decided (with
evidence the aggregate does not keep), and the lifecycle's types (payload = a suara_complaint event), which every
other decision is recorded as. `lifecycle_events` reads a whole stream as the aggregate's events, translating the
three old types the way an upcaster would, one for one:
- ComplaintSubmitted -> the lifecycle's ComplaintSubmitted; its priority and category are the routing's (looked
  ahead), because intake records before anything has read the text;
- ComplaintRouted -> ComplaintDispatched to the OPD, unless the router put the complaint on the coordinator's
  desk without naming another agency (outside authority, low confidence): then RoutedToDesk, and the complaint
  stays `submitted`, unverified, which is exactly where the coordinator's desk begins (an emergency the desk must
  also act on is dispatched to its first responder all the same);
- StaffNotified -> the lifecycle's StaffNotified, keyed by the alert's own id.
The translation is pure and deterministic, so folding a stream gives the same state every time (replay).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from suara_complaint import events as lc
from suara_complaint.actors import Actor as LifecycleActor
from suara_complaint.actors import Role
from suara_complaint.events import Event as LifecycleEvent
from suara_complaint.policy import Policy, Priority, ResolutionKind
from suara_complaint.state import ComplaintState, fold
from suara_kit.events import ActorKind, ComplaintRouted, ComplaintSubmitted, Event, StaffNotified

_PRIORITIES = {"darurat": Priority.DARURAT, "tinggi": Priority.TINGGI, "normal": Priority.NORMAL}


def lifecycle_events(stream: Sequence[Event], policy: Policy) -> list[lc.Event]:
    """The stream (in sequence order) as the aggregate's events."""
    routed = next((e.payload for e in stream if isinstance(e.payload, ComplaintRouted)), None)
    priority = routing_priority(routed) if routed else Priority.NORMAL
    kind = ResolutionKind.PENGADUAN  # until the coordinator verifies it as another kind
    translated: list[lc.Event] = []
    for event in stream:
        payload = event.payload
        if isinstance(payload, LifecycleEvent):
            if isinstance(payload, lc.ComplaintVerified):
                kind = payload.kind
            translated.append(payload)
        elif isinstance(payload, ComplaintSubmitted):
            translated.append(
                lc.ComplaintSubmitted(
                    **_envelope(event, command_key=payload.idempotency_key),
                    tracking_number=payload.tracking_number,
                    category=(routed.category if routed and routed.category else payload.category),
                    priority=priority,
                    text=payload.text,
                    kelurahan_code=payload.kelurahan_code,
                    source_channel=str(payload.source_channel),
                    anonymous=payload.anonymous,
                    has_reporter_contact=payload.has_reporter_contact,
                    dispatch_within=policy.dispatch_budget(priority),
                )
            )
        elif isinstance(payload, ComplaintRouted):
            if not dispatched_by_router(payload):
                translated.append(lc.RoutedToDesk(**_envelope(event), rule_id=payload.rule_id, reason=payload.reason))
                continue
            translated.append(
                lc.ComplaintDispatched(
                    **_envelope(event),
                    opd=payload.opd_code,
                    rule_id=payload.rule_id,
                    reason=payload.reason,
                    acknowledge_within=policy.acknowledge_budget(priority),
                    resolve_within=policy.resolve_budget(priority, kind),
                )
            )
        elif isinstance(payload, StaffNotified):
            translated.append(
                lc.StaffNotified(
                    # One alert, one key: the alert's id (its Message-ID), which the notifier's command is keyed by.
                    **_envelope(event, command_key=event.event_id),
                    opd=payload.opd_code,
                    channel=payload.channel,
                    recipient=payload.recipient,
                    outcome=str(payload.outcome),
                    detail=payload.detail,
                )
            )
    return translated


def routing_priority(routed: ComplaintRouted) -> Priority:
    """The priority the router's reading gave (an emergency's `darurat`)."""
    return _PRIORITIES.get(str(routed.priority), Priority.NORMAL)


def dispatched_by_router(routed: ComplaintRouted) -> bool:
    """Whether the router sent the complaint to an OPD. A complaint it put on the coordinator's desk is dispatched
    nonetheless when the routing names an agency other than the desk: an emergency goes to its first responder at
    once even when the desk must also act (an outside body to call, a possible emergency to check)."""
    if not routed.needs_coordinator:
        return True
    return bool(routed.opd_code) and routed.opd_code != (routed.coordinator_desk or routed.opd_code)


def held_by(changes: Sequence[lc.Event]) -> tuple[str, ...]:
    """The OPDs a complaint was dispatched to or decided for, first first: who may see it (identity.may_see)."""
    held: list[str] = []
    for change in changes:
        if isinstance(change, lc.ComplaintDispatched | lc.OwnerDecided) and change.opd and change.opd not in held:
            held.append(change.opd)
    return tuple(held)


def fold_stream(stream: Sequence[Event], policy: Policy) -> ComplaintState | None:
    """The complaint's state. Its version is the stream's length (the journal position of its last event): every
    event translates to exactly one of the aggregate's, so the two agree; the version is what callers send as
    expected_version and what the next event's sequence follows."""
    state = fold(lifecycle_events(stream, policy))
    return None if state is None else replace(state, version=len(stream))


def _envelope(event: Event, command_key: str | None = None) -> dict[str, Any]:
    """What every lifecycle event carries, from the old event's envelope (its id kept, so a replay folds the same)."""
    return {
        "event_id": event.event_id,
        "complaint_id": event.complaint_id,
        "at": event.occurred_at,
        "actor": _actor(event),
        "command_key": event.causation_id if command_key is None else command_key,
    }


def _actor(event: Event) -> LifecycleActor:
    kind = event.actor.kind
    if kind is ActorKind.INTEGRATOR or kind is ActorKind.CITIZEN:
        return LifecycleActor(event.actor.id or "unknown-integrator", Role.INTEGRATOR)
    return LifecycleActor(event.actor.id or event.producer or "suara", Role.SYSTEM)
