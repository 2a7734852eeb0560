"""When deadlines fire: the schedule of each open deadline on the calendar, what is due at a moment, and an index of
open deadlines across complaints. Pure: the caller passes the time.

A deadline fires, in order: a warning (at `warning_share` of its budget), a breach (at its budget) and escalations
up its stage's ladder (the first with the breach, the next each `escalation_interval` later); an auto-close stage
fires only its auto-close. Each firing has a key derived from the deadline id, and the state records which fired,
so evaluating the same events at any sequence of moments records each firing exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from suara_complaint import commands as cmd
from suara_complaint.actors import Actor, Role
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.events import Event
from suara_complaint.policy import ESCALATION_LADDER, Budget, BudgetUnit, EscalationLevel, Policy, Stage
from suara_complaint.state import ComplaintState, Deadline, evolve

CLOCK = Actor("suara-deadline-clock", Role.SYSTEM)


@dataclass(frozen=True)
class Firing:
    deadline_id: str
    marker: str  # "warning" | "breach" | "escalation:<level>" | "auto_close"
    at: datetime
    order: int  # ties at the same moment: warning, breach, escalations in ladder order
    level: EscalationLevel | None = None

    @property
    def key(self) -> str:
        """The idempotency key of the command that records it (and so of the event's derived id)."""
        return f"{self.deadline_id}:{self.marker}"


def _measure(calendar: WorkingCalendar, unit: BudgetUnit, start: datetime, end: datetime) -> timedelta:
    if unit is BudgetUnit.MINUTES:
        return max(end - start, timedelta(0))
    return calendar.working_time_between(start, end)


def _advance(calendar: WorkingCalendar, unit: BudgetUnit, start: datetime, amount: timedelta) -> datetime:
    return start + amount if unit is BudgetUnit.MINUTES else calendar.add_working_time(start, amount)


def consumed(deadline: Deadline, calendar: WorkingCalendar, now: datetime) -> timedelta:
    """Time the deadline's clock has run until `now` (working time, or wall time for minute budgets)."""
    unit = deadline.budget.unit
    return sum(
        (_measure(calendar, unit, start, end if end is not None else now) for start, end in deadline.segments),
        timedelta(0),
    )


def moment_of(deadline: Deadline, calendar: WorkingCalendar, elapsed: timedelta) -> datetime | None:
    """When the clock will have run `elapsed`; None while paused. A point already passed before a pause is due
    as soon as the clock runs again."""
    if not deadline.running:
        return None
    unit = deadline.budget.unit
    before = sum((_measure(calendar, unit, s, e) for s, e in deadline.segments[:-1] if e is not None), timedelta(0))
    start = deadline.segments[-1][0]
    return start if elapsed <= before else _advance(calendar, unit, start, elapsed - before)


def due_at(deadline: Deadline, calendar: WorkingCalendar) -> datetime | None:
    return moment_of(deadline, calendar, deadline.budget.span)


def remaining(deadline: Deadline, calendar: WorkingCalendar, now: datetime) -> timedelta:
    """The time left, in the deadline's own measure (what resumes after a pause)."""
    return deadline.budget.span - consumed(deadline, calendar, now)


def schedule(deadline: Deadline, policy: Policy, calendar: WorkingCalendar) -> list[Firing]:
    """Every firing of a running deadline, fired or not, in order."""
    if not deadline.running:
        return []
    span = deadline.budget.span
    firings: list[tuple[timedelta, str, EscalationLevel | None]] = []
    if deadline.stage is Stage.AUTO_CLOSE:
        firings.append((span, "auto_close", None))
    else:
        firings.append((span * policy.warning_share, "warning", None))
        firings.append((span, "breach", None))
        interval: Budget = policy.interval_for(deadline.budget)
        for k, rung in enumerate(ESCALATION_LADDER[deadline.stage]):
            firings.append((span + interval.span * k, f"escalation:{rung}", rung))
    out: list[Firing] = []
    for order, (elapsed, marker, level) in enumerate(firings):
        at = moment_of(deadline, calendar, elapsed)
        assert at is not None  # running
        out.append(Firing(deadline.deadline_id, marker, at, order, level))
    return out


def due(state: ComplaintState, now: datetime, policy: Policy, calendar: WorkingCalendar) -> list[Firing]:
    """Firings due at `now` and not yet recorded, oldest first."""
    pending = [
        f for d in state.deadlines for f in schedule(d, policy, calendar) if f.marker not in d.fired and f.at <= now
    ]
    return sorted(pending, key=lambda f: (f.at, f.order, f.deadline_id))


def next_firing_at(state: ComplaintState | None, policy: Policy, calendar: WorkingCalendar) -> datetime | None:
    """The earliest unrecorded firing, due or not; None if nothing is scheduled (closed, or paused)."""
    if state is None:
        return None
    times = [f.at for d in state.deadlines for f in schedule(d, policy, calendar) if f.marker not in d.fired]
    return min(times, default=None)


def command_for(state: ComplaintState, firing: Firing, actor: Actor = CLOCK) -> cmd.DeadlineCommand:
    common = {
        "complaint_id": state.complaint_id,
        "actor": actor,
        "idempotency_key": firing.key,
        "deadline_id": firing.deadline_id,
    }
    if firing.marker == "warning":
        return cmd.RecordDeadlineWarning(**common)  # type: ignore[arg-type]  # the common keys are typed above
    if firing.marker == "breach":
        return cmd.RecordDeadlineBreach(**common)  # type: ignore[arg-type]  # as above
    if firing.marker == "auto_close":
        return cmd.AutoClose(**common)  # type: ignore[arg-type]  # as above
    assert firing.level is not None
    return cmd.RecordEscalation(**common, level=firing.level)  # type: ignore[arg-type]  # as above


def due_commands(
    state: ComplaintState | None, now: datetime, policy: Policy, calendar: WorkingCalendar, actor: Actor = CLOCK
) -> list[cmd.DeadlineCommand]:
    """The system commands the deadline clock should decide for this complaint at `now`."""
    if state is None:
        return []
    return [command_for(state, f, actor) for f in due(state, now, policy, calendar)]


@dataclass(frozen=True)
class OpenDeadline:
    complaint_id: str
    deadline_id: str
    stage: Stage
    opd: str
    due_at: datetime | None  # None while paused
    next_firing_at: datetime | None


class DeadlineIndex:
    """Open deadlines across complaints, folded from their events: the shape of the persisted index the deadline
    clock keeps (one entry per complaint with its next firing time). In memory; for tests and the simulation."""

    def __init__(self, policy: Policy, calendar: WorkingCalendar) -> None:
        self._policy, self._calendar = policy, calendar
        self._states: dict[str, ComplaintState] = {}

    def apply(self, event: Event) -> None:
        self._states[event.complaint_id] = evolve(self._states.get(event.complaint_id), event)

    def apply_all(self, events: Iterable[Event]) -> None:
        for e in events:
            self.apply(e)

    def state(self, complaint_id: str) -> ComplaintState | None:
        return self._states.get(complaint_id)

    def open_deadlines(self) -> list[OpenDeadline]:
        return [
            OpenDeadline(
                s.complaint_id,
                d.deadline_id,
                d.stage,
                d.opd,
                due_at(d, self._calendar),
                min(
                    (f.at for f in schedule(d, self._policy, self._calendar) if f.marker not in d.fired),
                    default=None,
                ),
            )
            for s in self._states.values()
            for d in s.deadlines
        ]

    def due(self, now: datetime, actor: Actor = CLOCK) -> list[cmd.DeadlineCommand]:
        """Every complaint's due deadline commands, complaints in id order, each complaint's in firing order."""
        out: list[cmd.DeadlineCommand] = []
        for cid in sorted(self._states):
            s = self._states[cid]
            nxt = next_firing_at(s, self._policy, self._calendar)
            if nxt is not None and nxt <= now:
                out.extend(due_commands(s, now, self._policy, self._calendar, actor))
        return out
