"""Suara's complaint aggregate: the lifecycle as data, decide/evolve, deadlines on a working-day calendar.

Pure domain: imports nothing but the standard library. Loading a complaint is `fold(events)`; changing it is
`decide(state, command, context)` followed by an append of the events at the expected version.
"""

from suara_complaint.actors import Actor, Role
from suara_complaint.calendar import WIB, Holiday, HolidayFileError, HolidayKind, WorkingCalendar, load_calendar
from suara_complaint.deadlines import CLOCK, DeadlineIndex, OpenDeadline, due_commands, next_firing_at
from suara_complaint.decide import PERMISSIONS, PRIMARY_EVENT, Decision, Refusal, RefusalKind, decide
from suara_complaint.events import EVENT_TYPES, EVENTS_BY_NAME, Event, derived_id
from suara_complaint.lifecycle import TRANSITIONS, Status
from suara_complaint.policy import (
    Budget,
    BudgetUnit,
    Context,
    EscalationLevel,
    Policy,
    Priority,
    ResolutionKind,
    Stage,
    load_policy,
    load_rules,
    policy_from_sla_table,
)
from suara_complaint.state import ComplaintState, Deadline, EvolveError, evolve, fold

__all__ = [
    "CLOCK",
    "EVENTS_BY_NAME",
    "EVENT_TYPES",
    "PERMISSIONS",
    "PRIMARY_EVENT",
    "TRANSITIONS",
    "WIB",
    "Actor",
    "Budget",
    "BudgetUnit",
    "ComplaintState",
    "Context",
    "Deadline",
    "DeadlineIndex",
    "Decision",
    "EscalationLevel",
    "Event",
    "EvolveError",
    "Holiday",
    "HolidayFileError",
    "HolidayKind",
    "OpenDeadline",
    "Policy",
    "Priority",
    "Refusal",
    "RefusalKind",
    "ResolutionKind",
    "Role",
    "Stage",
    "Status",
    "WorkingCalendar",
    "decide",
    "derived_id",
    "due_commands",
    "evolve",
    "fold",
    "load_calendar",
    "load_policy",
    "load_rules",
    "next_firing_at",
    "policy_from_sla_table",
]
