"""What happened to a complaint: one frozen dataclass per event type, named in the past tense.

Every event carries who did it (`actor`), when it was recorded (`at`), its own id (derived from its cause, so a
retried command or a re-evaluated deadline yields the same id) and the idempotency key of the command that caused
it. The event store adds the complaint's sequence number; the codec registry maps each type to a proto message
(docs/lifecycle/events.md lists the fields).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from suara_complaint.actors import Actor
from suara_complaint.policy import Budget, EscalationLevel, Priority, ResolutionKind, Stage

# The same namespace as suara_kit.events.derived_id, so ids stay comparable across the code base.
_SUARA_NAMESPACE = uuid.UUID("6f1f5a52-3c0b-4f57-9a0e-5b3a9c1d2e7f")


def derived_id(*parts: str) -> str:
    """A stable UUID (v5) for the given parts."""
    return str(uuid.uuid5(_SUARA_NAMESPACE, "\x1f".join(parts)))


@dataclass(frozen=True, kw_only=True)
class Event:
    event_id: str
    complaint_id: str
    at: datetime
    actor: Actor
    command_key: str  # the idempotency key of the command that caused this event

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


# --- submission and routing --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ComplaintSubmitted(Event):
    tracking_number: str
    category: str
    priority: Priority
    text: str
    kelurahan_code: str
    source_channel: str
    anonymous: bool
    has_reporter_contact: bool
    dispatch_within: Budget


@dataclass(frozen=True, kw_only=True)
class ComplaintVerified(Event):
    kind: ResolutionKind
    resolve_within: Budget  # the resolution budget for this kind; re-budgets an open resolution deadline


@dataclass(frozen=True, kw_only=True)
class ComplaintDispatched(Event):
    """To an OPD, by the router (rule_id set) or by the coordinator (Dispatch / Redispatch)."""

    opd: str
    rule_id: str
    reason: str
    acknowledge_within: Budget
    resolve_within: Budget


@dataclass(frozen=True, kw_only=True)
class RoutedToDesk(Event):
    """The router's first reading put the complaint on the coordinator's desk instead of dispatching it (outside
    city authority, low confidence, a possible duplicate): it stays `submitted`, for the coordinator to verify."""

    rule_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OwnerDecided(Event):
    """The coordinator decided which OPD owns the complaint; the only way back to an OPD that handed it back.
    `final`: that OPD can no longer hand it back."""

    opd: str
    final: bool
    reason: str
    acknowledge_within: Budget
    resolve_within: Budget


# --- the coordinator's other decisions ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InfoRequested(Event):
    """Tunda: the clock pauses until the citizen answers."""

    question: str


@dataclass(frozen=True, kw_only=True)
class ComplaintMarkedDuplicate(Event):
    duplicate_of: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ComplaintArchived(Event):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ComplaintEscalated(Event):
    """By the coordinator (deadline_id empty) or by the deadline clock."""

    level: EscalationLevel
    reason: str
    deadline_id: str = ""


# --- the OPD ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ComplaintAcknowledged(Event):
    opd: str


@dataclass(frozen=True, kw_only=True)
class OfficerAssigned(Event):
    opd: str
    officer: str


@dataclass(frozen=True, kw_only=True)
class FollowUpPosted(Event):
    """Tindak lanjut, visible to the citizen."""

    opd: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ComplaintHandedBack(Event):
    """Bukan Wewenang: the OPD says the complaint is not theirs; it goes back to the router and coordinator."""

    opd: str
    reason: str
    suggested_opd: str
    dispatch_within: Budget  # for the re-dispatch


@dataclass(frozen=True, kw_only=True)
class HandBackCapReached(Event):
    """Recorded with the hand-back that reached the cap: the coordinator must decide the owner."""

    hand_backs: int
    cap: int


@dataclass(frozen=True, kw_only=True)
class ComplaintResolved(Event):
    opd: str
    resolution: str
    auto_close_within: Budget


# --- the citizen, through the submitting integrator ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InfoAdded(Event):
    text: str


@dataclass(frozen=True, kw_only=True)
class ResolutionConfirmed(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class ComplaintReopened(Event):
    """Back to the same OPD."""

    opd: str
    reason: str
    acknowledge_within: Budget
    resolve_within: Budget


@dataclass(frozen=True, kw_only=True)
class ComplaintRated(Event):
    """IKM (Indeks Kepuasan Masyarakat) score 1-4."""

    score: int
    comment: str


# --- the system ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ComplaintAutoClosed(Event):
    deadline_id: str


@dataclass(frozen=True, kw_only=True)
class DeadlineWarned(Event):
    deadline_id: str
    stage: Stage
    opd: str  # empty for the coordinator's stage
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class DeadlineBreached(Event):
    deadline_id: str
    stage: Stage
    opd: str
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class StaffNotified(Event):
    opd: str
    channel: str
    recipient: str
    outcome: str  # delivered | failed
    detail: str


EVENT_TYPES: tuple[type[Event], ...] = (
    ComplaintSubmitted,
    ComplaintVerified,
    ComplaintDispatched,
    RoutedToDesk,
    OwnerDecided,
    InfoRequested,
    ComplaintMarkedDuplicate,
    ComplaintArchived,
    ComplaintEscalated,
    ComplaintAcknowledged,
    OfficerAssigned,
    FollowUpPosted,
    ComplaintHandedBack,
    HandBackCapReached,
    ComplaintResolved,
    InfoAdded,
    ResolutionConfirmed,
    ComplaintReopened,
    ComplaintRated,
    ComplaintAutoClosed,
    DeadlineWarned,
    DeadlineBreached,
    StaffNotified,
)
EVENTS_BY_NAME: dict[str, type[Event]] = {t.__name__: t for t in EVENT_TYPES}
