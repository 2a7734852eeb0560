"""The lifecycle as data: the statuses and, per event type, the status it moves a complaint from and to.

This table is the state machine. `evolve` takes each event's new status from it, `decide` refuses any command whose
event it does not allow from the current status, and `invariants.check_trace` checks recorded streams against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WAITING_ON_CITIZEN = "waiting_on_citizen"  # Tunda: deadlines paused
    RETURNED = "returned"  # Bukan Wewenang: awaiting re-dispatch
    NEEDS_COORDINATOR = "needs_coordinator"  # hand-back cap reached: the coordinator decides the owner
    DUPLICATE = "duplicate"
    ARCHIVED = "archived"
    REOPENED = "reopened"  # the citizen reopened it: back to the same OPD


class Target(StrEnum):
    """Targets that are not a fixed status."""

    SAME = "same"  # the event does not change the status
    RESUME = "resume"  # back to the status the complaint paused in


S = Status
TERMINAL: frozenset[Status] = frozenset({S.CLOSED, S.DUPLICATE, S.ARCHIVED})
OPEN: frozenset[Status] = frozenset(Status) - TERMINAL
# Statuses in which an OPD holds the complaint.
WITH_OPD: frozenset[Status] = frozenset({S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})
# Statuses in which nobody works the complaint yet (the coordinator's desk).
AT_DESK: frozenset[Status] = frozenset({S.SUBMITTED, S.RETURNED, S.NEEDS_COORDINATOR})
ACTIVE: frozenset[Status] = AT_DESK | WITH_OPD  # open, not paused, not resolved

Transitions = Mapping[Status | None, Status | Target]


def _all(statuses: frozenset[Status], target: Status | Target) -> dict[Status | None, Status | Target]:
    return dict.fromkeys(sorted(statuses), target)


TRANSITIONS: Mapping[str, Transitions] = {
    "ComplaintSubmitted": {None: S.SUBMITTED},
    "ComplaintVerified": _all(ACTIVE, Target.SAME),
    "ComplaintDispatched": {
        S.SUBMITTED: S.DISPATCHED,  # Route (router) or Dispatch (coordinator)
        S.RETURNED: S.DISPATCHED,  # re-dispatch after a hand-back
        S.DISPATCHED: S.DISPATCHED,  # Redispatch (coordinator) to another OPD
        S.ACKNOWLEDGED: S.DISPATCHED,
        S.IN_PROGRESS: S.DISPATCHED,
        S.REOPENED: S.DISPATCHED,
    },
    "RoutedToDesk": {S.SUBMITTED: Target.SAME},  # the router's first reading, when it does not dispatch
    "OwnerDecided": _all(ACTIVE, S.DISPATCHED),
    "InfoRequested": _all(ACTIVE, S.WAITING_ON_CITIZEN),
    "InfoAdded": {**_all(ACTIVE, Target.SAME), S.WAITING_ON_CITIZEN: Target.RESUME},
    "ComplaintMarkedDuplicate": _all(ACTIVE | {S.WAITING_ON_CITIZEN}, S.DUPLICATE),
    "ComplaintArchived": _all(AT_DESK | {S.DISPATCHED, S.WAITING_ON_CITIZEN}, S.ARCHIVED),
    "ComplaintEscalated": _all(OPEN, Target.SAME),
    "ComplaintAcknowledged": {S.DISPATCHED: S.ACKNOWLEDGED, S.REOPENED: S.ACKNOWLEDGED},
    "OfficerAssigned": {S.ACKNOWLEDGED: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS, S.REOPENED: S.IN_PROGRESS},
    "FollowUpPosted": {S.ACKNOWLEDGED: S.IN_PROGRESS, S.IN_PROGRESS: S.IN_PROGRESS, S.REOPENED: S.IN_PROGRESS},
    "ComplaintHandedBack": _all(WITH_OPD, S.RETURNED),
    "HandBackCapReached": {S.RETURNED: S.NEEDS_COORDINATOR},
    "ComplaintResolved": {S.ACKNOWLEDGED: S.RESOLVED, S.IN_PROGRESS: S.RESOLVED},
    "ResolutionConfirmed": {S.RESOLVED: S.CLOSED},
    "ComplaintReopened": {S.RESOLVED: S.REOPENED},
    "ComplaintRated": {S.RESOLVED: Target.SAME, S.CLOSED: Target.SAME},
    "ComplaintAutoClosed": {S.RESOLVED: S.CLOSED},
    "DeadlineWarned": _all(OPEN, Target.SAME),
    "DeadlineBreached": _all(OPEN, Target.SAME),
    "StaffNotified": {**_all(frozenset(Status), Target.SAME)},
}


def next_status(event_type: str, current: Status | None, paused_in: Status | None = None) -> Status | None:
    """The status after an event of `event_type` in `current`, or None if the table does not allow it."""
    target = TRANSITIONS.get(event_type, {}).get(current)
    if target is None:
        return None
    if target is Target.SAME:
        return current
    if target is Target.RESUME:
        return paused_in
    return target
