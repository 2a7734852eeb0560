"""What someone asks of a complaint: one frozen dataclass per command, named in the imperative.

Every command names the complaint, the authenticated actor, the version the caller last saw (`expected_version`;
None only for system commands, which re-decide on fresh state) and an idempotency key (a retry with the same key is
answered with no new events).
"""

from __future__ import annotations

from dataclasses import dataclass

from suara_complaint.actors import Actor
from suara_complaint.policy import EscalationLevel, Priority, ResolutionKind


@dataclass(frozen=True, kw_only=True)
class Command:
    complaint_id: str
    actor: Actor
    idempotency_key: str
    expected_version: int | None = None

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


# --- integrator (for the citizen) -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Submit(Command):
    tracking_number: str
    category: str
    priority: Priority
    text: str
    kelurahan_code: str
    source_channel: str
    anonymous: bool = False
    has_reporter_contact: bool = False


@dataclass(frozen=True, kw_only=True)
class AddInfo(Command):
    text: str


@dataclass(frozen=True, kw_only=True)
class ConfirmResolved(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    reason: str


@dataclass(frozen=True, kw_only=True)
class Rate(Command):
    score: int  # IKM, 1-4
    comment: str = ""


# --- coordinator ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Verify(Command):
    kind: ResolutionKind = ResolutionKind.PENGADUAN


@dataclass(frozen=True, kw_only=True)
class RequestInfo(Command):
    question: str


@dataclass(frozen=True, kw_only=True)
class Dispatch(Command):
    """From the desk (submitted, returned) to an OPD."""

    opd: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Redispatch(Command):
    """From the OPD that holds it to another OPD."""

    opd: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class MarkDuplicate(Command):
    duplicate_of: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Archive(Command):
    reason: str


@dataclass(frozen=True, kw_only=True)
class Escalate(Command):
    reason: str
    level: EscalationLevel = EscalationLevel.SEKDA


@dataclass(frozen=True, kw_only=True)
class DecideOwner(Command):
    opd: str
    reason: str
    final: bool = True


# --- OPD officer and head ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Acknowledge(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class Assign(Command):
    officer: str


@dataclass(frozen=True, kw_only=True)
class PostFollowUp(Command):
    text: str


@dataclass(frozen=True, kw_only=True)
class HandBack(Command):
    reason: str
    suggested_opd: str = ""


@dataclass(frozen=True, kw_only=True)
class Resolve(Command):
    resolution: str


# --- system -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Route(Command):
    """The router's decision for a submitted or returned complaint: dispatch it to `opd`. `priority`, when the
    router's reading set one (an emergency), budgets the OPD's deadlines instead of the complaint's own."""

    opd: str
    rule_id: str
    reason: str
    priority: Priority | None = None


@dataclass(frozen=True, kw_only=True)
class RouteToDesk(Command):
    """The router's first reading of a submitted complaint, when it does not dispatch it: the coordinator's desk."""

    rule_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordNotification(Command):
    opd: str
    channel: str
    recipient: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class DeadlineCommand(Command):
    """A command the deadline clock derives from the events (deadlines.due_commands); its idempotency key is
    derived from the deadline id, so it is recorded at most once."""

    deadline_id: str


@dataclass(frozen=True, kw_only=True)
class RecordDeadlineWarning(DeadlineCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RecordDeadlineBreach(DeadlineCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RecordEscalation(DeadlineCommand):
    level: EscalationLevel


@dataclass(frozen=True, kw_only=True)
class AutoClose(DeadlineCommand):
    pass
