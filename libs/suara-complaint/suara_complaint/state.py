"""A complaint's state and `evolve`: the fold of its events. Pure: no clock, no calendar, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from suara_complaint import events as ev
from suara_complaint.lifecycle import Status, next_status
from suara_complaint.policy import ESCALATION_ORDER, Budget, EscalationLevel, Priority, ResolutionKind, Stage

Segment = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Deadline:
    """An open stage deadline. Its clock runs in `segments` (the last one open while running); the due time
    depends on the calendar, so `deadlines.py` computes it, not the fold."""

    deadline_id: str  # "<complaint id>/<stage>/<version of the event that opened it>"
    stage: Stage
    opd: str  # "" for the coordinator's desk
    budget: Budget
    segments: tuple[Segment, ...]
    fired: frozenset[str] = frozenset()  # "warning", "breach", "escalation:<level>", "auto_close"

    @property
    def running(self) -> bool:
        return bool(self.segments) and self.segments[-1][1] is None

    def pause(self, at: datetime) -> Deadline:
        if not self.running:
            return self
        start, _ = self.segments[-1]
        return replace(self, segments=(*self.segments[:-1], (start, at)))

    def resume(self, at: datetime) -> Deadline:
        return self if self.running else replace(self, segments=(*self.segments, (at, None)))


@dataclass(frozen=True)
class ComplaintState:
    complaint_id: str
    version: int  # the number of events folded
    status: Status
    category: str
    priority: Priority
    submitted_by: str  # the integrator that submitted it; the citizen acts through it
    submitted_at: datetime
    kind: ResolutionKind = ResolutionKind.PENGADUAN
    verified: bool = False
    opd: str | None = None  # the OPD that holds it, or last held it (returned, reopened)
    officer: str | None = None
    acknowledged: bool = False  # by the current OPD, since its last dispatch or reopening
    handed_back_by: tuple[str, ...] = ()  # OPDs that handed it back, oldest first
    hand_backs: int = 0
    hand_backs_since_decision: int = 0
    decided_owner: str | None = None  # the OPD the coordinator decided on, if it still holds it
    owner_final: bool = False
    paused_in: Status | None = None
    duplicate_of: str | None = None
    archive_reason: str | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    reopenings: int = 0
    rating: int | None = None
    escalation: EscalationLevel | None = None
    deadlines: tuple[Deadline, ...] = ()
    keys: Mapping[str, str] = field(default_factory=dict)  # idempotency key -> the command type that used it
    last_event_at: datetime | None = None

    def deadline(self, deadline_id: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.deadline_id == deadline_id), None)


class EvolveError(ValueError):
    """An event that cannot follow the state: the stream is corrupt or out of order."""


def evolve(state: ComplaintState | None, event: ev.Event) -> ComplaintState:
    """The state after `event`. Raises EvolveError for an event the lifecycle table does not allow here."""
    current = state.status if state is not None else None
    new_status = next_status(event.type_name(), current, state.paused_in if state else None)
    if new_status is None:
        raise EvolveError(f"{event.type_name()} cannot follow status {current} (complaint {event.complaint_id})")
    if state is None:
        if not isinstance(event, ev.ComplaintSubmitted):  # the table allows only that from None
            raise EvolveError(f"{event.type_name()} before ComplaintSubmitted")
        state = ComplaintState(
            complaint_id=event.complaint_id,
            version=0,
            status=new_status,
            category=event.category,
            priority=event.priority,
            submitted_by=event.actor.subject,
            submitted_at=event.at,
        )
    elif event.complaint_id != state.complaint_id:
        raise EvolveError(f"event for {event.complaint_id} folded into {state.complaint_id}")
    before = state.status
    version = state.version + 1
    keys = state.keys if event.command_key in state.keys else {**state.keys, event.command_key: event.type_name()}
    state = replace(state, version=version, status=new_status, keys=keys, last_event_at=event.at)
    return _apply(state, event, before, _Opener(state.complaint_id, version, event.at))


class _Opener:
    """Opens deadlines with ids derived from the opening event's version."""

    def __init__(self, complaint_id: str, version: int, at: datetime) -> None:
        self.complaint_id, self.version, self.at = complaint_id, version, at

    def __call__(self, stage: Stage, opd: str, budget: Budget) -> Deadline:
        return Deadline(f"{self.complaint_id}/{stage}/{self.version}", stage, opd, budget, ((self.at, None),))


def _mark(state: ComplaintState, deadline_id: str, marker: str) -> ComplaintState:
    return replace(
        state,
        deadlines=tuple(
            replace(d, fired=d.fired | {marker}) if d.deadline_id == deadline_id else d for d in state.deadlines
        ),
    )


def _without(state: ComplaintState, *stages: Stage) -> tuple[Deadline, ...]:
    return tuple(d for d in state.deadlines if d.stage not in stages)


def _apply(s: ComplaintState, e: ev.Event, before: Status, open_: _Opener) -> ComplaintState:
    match e:
        case ev.ComplaintSubmitted():
            return replace(s, deadlines=(open_(Stage.DISPATCH, "", e.dispatch_within),))
        case ev.ComplaintVerified():
            return replace(
                s,
                verified=True,
                kind=e.kind,
                deadlines=tuple(
                    replace(d, budget=e.resolve_within) if d.stage is Stage.RESOLVE else d for d in s.deadlines
                ),
            )
        case ev.ComplaintDispatched() | ev.OwnerDecided():
            decided = isinstance(e, ev.OwnerDecided)
            return replace(
                s,
                opd=e.opd,
                officer=None,
                acknowledged=False,
                decided_owner=e.opd if decided else None,
                owner_final=e.final if isinstance(e, ev.OwnerDecided) else False,
                hand_backs_since_decision=0 if decided else s.hand_backs_since_decision,
                deadlines=(
                    open_(Stage.ACKNOWLEDGE, e.opd, e.acknowledge_within),
                    open_(Stage.RESOLVE, e.opd, e.resolve_within),
                ),
            )
        case ev.InfoRequested():
            return replace(s, paused_in=before, deadlines=tuple(d.pause(e.at) for d in s.deadlines))
        case ev.InfoAdded():
            if s.paused_in is None:
                return s
            return replace(s, paused_in=None, deadlines=tuple(d.resume(e.at) for d in s.deadlines))
        case ev.ComplaintMarkedDuplicate():
            return replace(s, duplicate_of=e.duplicate_of, paused_in=None, deadlines=())
        case ev.ComplaintArchived():
            return replace(s, archive_reason=e.reason, paused_in=None, deadlines=())
        case ev.ComplaintEscalated():
            s = replace(s, escalation=_higher(s.escalation, e.level))
            return _mark(s, e.deadline_id, f"escalation:{e.level}") if e.deadline_id else s
        case ev.ComplaintAcknowledged():
            return replace(s, acknowledged=True, deadlines=_without(s, Stage.ACKNOWLEDGE))
        case ev.OfficerAssigned():
            return replace(s, officer=e.officer, acknowledged=True, deadlines=_without(s, Stage.ACKNOWLEDGE))
        case ev.FollowUpPosted():
            return replace(s, acknowledged=True, deadlines=_without(s, Stage.ACKNOWLEDGE))
        case ev.ComplaintHandedBack():
            return replace(
                s,
                officer=None,
                acknowledged=False,
                handed_back_by=(*s.handed_back_by, e.opd) if e.opd not in s.handed_back_by else s.handed_back_by,
                hand_backs=s.hand_backs + 1,
                hand_backs_since_decision=s.hand_backs_since_decision + 1,
                decided_owner=None,
                owner_final=False,
                deadlines=(open_(Stage.DISPATCH, "", e.dispatch_within),),
            )
        case ev.HandBackCapReached() | ev.RoutedToDesk():
            return s
        case ev.ComplaintResolved():
            return replace(
                s,
                resolved_at=e.at,
                resolution=e.resolution,
                deadlines=(open_(Stage.AUTO_CLOSE, e.opd, e.auto_close_within),),
            )
        case ev.ResolutionConfirmed() | ev.ComplaintAutoClosed():
            return replace(s, deadlines=())
        case ev.ComplaintReopened():
            return replace(
                s,
                reopenings=s.reopenings + 1,
                acknowledged=False,
                deadlines=(
                    open_(Stage.ACKNOWLEDGE, e.opd, e.acknowledge_within),
                    open_(Stage.RESOLVE, e.opd, e.resolve_within),
                ),
            )
        case ev.ComplaintRated():
            return replace(s, rating=e.score)
        case ev.DeadlineWarned():
            return _mark(s, e.deadline_id, "warning")
        case ev.DeadlineBreached():
            return _mark(s, e.deadline_id, "breach")
        case ev.StaffNotified():
            return s
    raise EvolveError(f"no rule to fold {e.type_name()}")


def _higher(a: EscalationLevel | None, b: EscalationLevel) -> EscalationLevel:
    if a is None:
        return b
    return max(a, b, key=ESCALATION_ORDER.index)


def fold(events: Iterable[ev.Event], state: ComplaintState | None = None) -> ComplaintState | None:
    for e in events:
        state = evolve(state, e)
    return state
