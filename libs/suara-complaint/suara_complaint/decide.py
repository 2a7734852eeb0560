"""`decide`: what a command does to a complaint, as new events or a refusal naming the rule that stopped it.

Checks run in this order, so a refusal names the first that fails: the complaint exists (or, for Submit, does
not); the actor's role may give this command; a retried idempotency key answers with no new events; the actor is in
scope (its OPD holds the complaint, or it is the integrator that submitted it); the caller's expected version is
current; the command's fields are valid; the lifecycle allows it from the current status; then the command's own
rules (no ping-pong, reopen window, ...).

Deadlines that fell due before the command are recorded first, in the same batch, with the same derived ids the
deadline clock would have given them: so what a command sees never depends on whether the clock ran in time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from suara_complaint import commands as c
from suara_complaint import events as ev
from suara_complaint.actors import OPD_ROLES, Role
from suara_complaint.deadlines import command_for, due, schedule
from suara_complaint.lifecycle import TRANSITIONS, WITH_OPD, Status, next_status
from suara_complaint.policy import ESCALATION_ORDER, Context, Priority, Stage
from suara_complaint.state import ComplaintState, evolve

TEXT_MAX = 4000
REASON_MAX = 2000
CODE_MAX = 128


class RefusalKind(StrEnum):
    """How the API reports a refusal (gRPC status in brackets)."""

    ILLEGAL_TRANSITION = "illegal_transition"  # FAILED_PRECONDITION, naming status and rule
    STALE_VERSION = "stale_version"  # ABORTED, with the current version
    OUT_OF_SCOPE = "out_of_scope"  # PERMISSION_DENIED, naming role and scope
    INVALID = "invalid"  # INVALID_ARGUMENT, naming the field
    NOT_FOUND = "not_found"  # NOT_FOUND
    ALREADY_EXISTS = "already_exists"  # ALREADY_EXISTS


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    rule: str  # a stable id, e.g. "no-dispatch-to-opd-that-handed-back"
    message: str  # one sentence for the caller: what is wrong and what to do instead
    command: str
    status: Status | None  # the complaint's current status (None: no such complaint)
    version: int  # the complaint's current version
    role: Role
    scope: str  # the actor's scope, e.g. "opd:DPUPR"


Decision = list[ev.Event] | Refusal

# Which roles may give each command at all.
PERMISSIONS: Mapping[type[c.Command], frozenset[Role]] = {
    c.Submit: frozenset({Role.INTEGRATOR}),
    c.AddInfo: frozenset({Role.INTEGRATOR}),
    c.ConfirmResolved: frozenset({Role.INTEGRATOR}),
    c.Reopen: frozenset({Role.INTEGRATOR}),
    c.Rate: frozenset({Role.INTEGRATOR}),
    c.Verify: frozenset({Role.COORDINATOR}),
    c.RequestInfo: frozenset({Role.COORDINATOR}),
    c.Dispatch: frozenset({Role.COORDINATOR}),
    c.Redispatch: frozenset({Role.COORDINATOR}),
    c.MarkDuplicate: frozenset({Role.COORDINATOR}),
    c.Archive: frozenset({Role.COORDINATOR}),
    c.Escalate: frozenset({Role.COORDINATOR}),
    c.DecideOwner: frozenset({Role.COORDINATOR}),
    c.Acknowledge: OPD_ROLES,
    c.Assign: OPD_ROLES,
    c.PostFollowUp: OPD_ROLES,
    c.HandBack: OPD_ROLES,
    c.Resolve: OPD_ROLES,
    c.Route: frozenset({Role.SYSTEM}),
    c.RouteToDesk: frozenset({Role.SYSTEM}),
    c.RecordNotification: frozenset({Role.SYSTEM}),
    c.RecordDeadlineWarning: frozenset({Role.SYSTEM}),
    c.RecordDeadlineBreach: frozenset({Role.SYSTEM}),
    c.RecordEscalation: frozenset({Role.SYSTEM}),
    c.AutoClose: frozenset({Role.SYSTEM}),
}

# The event each command records first (its own events carry its idempotency key).
PRIMARY_EVENT: Mapping[type[c.Command], type[ev.Event]] = {
    c.Submit: ev.ComplaintSubmitted,
    c.AddInfo: ev.InfoAdded,
    c.ConfirmResolved: ev.ResolutionConfirmed,
    c.Reopen: ev.ComplaintReopened,
    c.Rate: ev.ComplaintRated,
    c.Verify: ev.ComplaintVerified,
    c.RequestInfo: ev.InfoRequested,
    c.Dispatch: ev.ComplaintDispatched,
    c.Redispatch: ev.ComplaintDispatched,
    c.MarkDuplicate: ev.ComplaintMarkedDuplicate,
    c.Archive: ev.ComplaintArchived,
    c.Escalate: ev.ComplaintEscalated,
    c.DecideOwner: ev.OwnerDecided,
    c.Acknowledge: ev.ComplaintAcknowledged,
    c.Assign: ev.OfficerAssigned,
    c.PostFollowUp: ev.FollowUpPosted,
    c.HandBack: ev.ComplaintHandedBack,
    c.Resolve: ev.ComplaintResolved,
    c.Route: ev.ComplaintDispatched,
    c.RouteToDesk: ev.RoutedToDesk,
    c.RecordNotification: ev.StaffNotified,
    c.RecordDeadlineWarning: ev.DeadlineWarned,
    c.RecordDeadlineBreach: ev.DeadlineBreached,
    c.RecordEscalation: ev.ComplaintEscalated,
    c.AutoClose: ev.ComplaintAutoClosed,
}


class _Refused(Exception):
    def __init__(self, kind: RefusalKind, rule: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.rule, self.message = kind, rule, message


def _refuse(rule: str, message: str, kind: RefusalKind = RefusalKind.ILLEGAL_TRANSITION) -> _Refused:
    return _Refused(kind, rule, message)


def _clip(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _required(field: str, value: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise _refuse(f"{field}-required", f"{field}: required", RefusalKind.INVALID)
    if len(text) > limit:
        raise _refuse(
            f"{field}-too-long", f"{field}: too long ({len(text)} characters, at most {limit})", RefusalKind.INVALID
        )
    return text


def _optional(field: str, value: str, limit: int) -> str:
    return _required(field, value, limit) if value.strip() else ""


E = TypeVar("E", bound=ev.Event)


class _Batch:
    """Builds a command's events with derived ids, folding each so later checks see it."""

    def __init__(self, state: ComplaintState | None, command: c.Command, ctx: Context) -> None:
        self.state, self.command, self.ctx = state, command, ctx
        self.events: list[ev.Event] = []

    def add(self, event_type: type[E], **fields: Any) -> E:
        index = len(self.events)
        event = event_type(
            event_id=ev.derived_id(
                self.command.complaint_id, self.command.idempotency_key, event_type.__name__, str(index)
            ),
            complaint_id=self.command.complaint_id,
            at=self.ctx.now,
            actor=self.command.actor,
            command_key=self.command.idempotency_key,
            **fields,
        )
        self.state = evolve(self.state, event)
        self.events.append(event)
        return event


def decide(state: ComplaintState | None, command: c.Command, ctx: Context) -> Decision:
    """The events `command` records on the complaint in `state` (None: not submitted yet), or why not."""
    caught_up: list[ev.Event] = []
    current = state
    if state is not None and not isinstance(command, c.DeadlineCommand):
        for firing in due(state, ctx.now, ctx.policy, ctx.calendar):
            assert current is not None
            recorded = _decide_checked(current, command_for(current, firing), ctx, stored_version=None)
            if isinstance(recorded, list):
                for e in recorded:
                    current = evolve(current, e)
                caught_up.extend(recorded)
    result = _decide_checked(current, command, ctx, stored_version=state.version if state else 0)
    if isinstance(result, Refusal):
        # The status is as of now (after any due deadline, e.g. an auto-close); the version is the stored one,
        # the one a caller must send as expected_version.
        return replace(result, version=state.version if state else 0)
    if not result:
        return result  # a retry records nothing, not even the catch-up (the clock will)
    return [*caught_up, *result]


def _decide_checked(
    state: ComplaintState | None, command: c.Command, ctx: Context, stored_version: int | None
) -> Decision:
    name = command.type_name()
    actor = command.actor
    try:
        if state is None and not isinstance(command, c.Submit):
            raise _refuse("complaint-not-found", f"no complaint {_clip(command.complaint_id)}", RefusalKind.NOT_FOUND)
        allowed = PERMISSIONS.get(type(command), frozenset())
        if actor.role not in allowed:
            raise _refuse(
                "role-not-allowed",
                f"{name} is for {' or '.join(sorted(r.value for r in allowed))}, not {actor.role.value}",
                RefusalKind.OUT_OF_SCOPE,
            )
        if state is not None and command.idempotency_key in state.keys:
            if state.keys[command.idempotency_key] == PRIMARY_EVENT[type(command)].__name__:
                return []  # a retry of a command already recorded
            raise _refuse(
                "idempotency-key-reused",
                f"idempotency_key {_clip(command.idempotency_key)!r} was used for a different command "
                f"({state.keys[command.idempotency_key]}); use a new key",
                RefusalKind.INVALID,
            )
        if state is not None:
            _check_scope(state, command)
            if (
                command.expected_version is not None
                and stored_version is not None
                and command.expected_version != stored_version
            ):
                raise _refuse(
                    "expected-version",
                    f"the complaint is at version {stored_version}, not {command.expected_version}: "
                    "read it again and retry",
                    RefusalKind.STALE_VERSION,
                )
        batch = _Batch(state, command, ctx)
        handler = _HANDLERS[type(command)]
        handler(state, command, ctx, batch)
        return batch.events
    except _Refused as r:
        return Refusal(
            kind=r.kind,
            rule=r.rule,
            message=r.message,
            command=name,
            status=state.status if state else None,
            version=state.version if state else 0,
            role=actor.role,
            scope=actor.scope,
        )


def _check_scope(state: ComplaintState, command: c.Command) -> None:
    actor = command.actor
    if actor.role in OPD_ROLES and actor.opd != state.opd:
        raise _refuse(
            "opd-scope",
            f"{actor.role.value} of {actor.opd} may act only on complaints its OPD holds "
            f"(this one is with {state.opd or 'the coordinator'})",
            RefusalKind.OUT_OF_SCOPE,
        )
    if actor.role is Role.INTEGRATOR and actor.subject != state.submitted_by:
        raise _refuse(
            "integrator-scope",
            f"integrator {_clip(actor.subject)} may act only on complaints it submitted",
            RefusalKind.OUT_OF_SCOPE,
        )


def _transition(state: ComplaintState | None, event_type: type[ev.Event], command: str) -> None:
    current = state.status if state else None
    if next_status(event_type.__name__, current, state.paused_in if state else None) is None:
        allowed = ", ".join(sorted(str(s) for s in TRANSITIONS[event_type.__name__] if s is not None))
        raise _refuse(
            f"lifecycle:{command}",
            f"{command} is not allowed in status {current}; allowed in: {allowed}",
        )


def _s(state: ComplaintState | None) -> ComplaintState:
    assert state is not None  # every handler but Submit runs on an existing complaint
    return state


# --- handlers: one per command -----------------------------------------------------------------------------------

Handler = Callable[[ComplaintState | None, Any, Context, _Batch], None]


def _submit(state: ComplaintState | None, cmd: c.Submit, ctx: Context, out: _Batch) -> None:
    if state is not None:
        raise _refuse(
            "complaint-exists",
            "the complaint already exists (a new complaint needs a new key)",
            RefusalKind.ALREADY_EXISTS,
        )
    out.add(
        ev.ComplaintSubmitted,
        tracking_number=_required("tracking_number", cmd.tracking_number, CODE_MAX),
        # Optional: most doors have no operator to choose one; the router's reading proposes it.
        category=_optional("category", cmd.category, CODE_MAX),
        priority=cmd.priority,
        text=_required("text", cmd.text, TEXT_MAX),
        kelurahan_code=cmd.kelurahan_code.strip(),
        source_channel=_required("source_channel", cmd.source_channel, CODE_MAX),
        anonymous=cmd.anonymous,
        has_reporter_contact=cmd.has_reporter_contact,
        dispatch_within=ctx.policy.dispatch_budget(cmd.priority),
    )


def _no_ping_pong(s: ComplaintState, opd: str, command: str) -> None:
    if opd in s.handed_back_by:
        raise _refuse(
            "no-dispatch-to-opd-that-handed-back",
            f"{opd} already handed this complaint back; only the coordinator's DecideOwner can send it there again",
        )


def _dispatch_event(
    s: ComplaintState,
    ctx: Context,
    out: _Batch,
    opd: str,
    rule_id: str,
    reason: str,
    priority: Priority | None = None,
) -> None:
    priority = priority or s.priority
    out.add(
        ev.ComplaintDispatched,
        opd=opd,
        rule_id=rule_id,
        reason=reason,
        acknowledge_within=ctx.policy.acknowledge_budget(priority),
        resolve_within=ctx.policy.resolve_budget(priority, s.kind),
    )


def _from_desk(s: ComplaintState, command: str) -> None:
    if s.status is Status.NEEDS_COORDINATOR:
        raise _refuse(
            "needs-owner-decision",
            f"the hand-back cap was reached: the coordinator decides the owner with DecideOwner, not {command}",
        )
    if s.status not in (Status.SUBMITTED, Status.RETURNED):
        raise _refuse(
            f"lifecycle:{command}",
            f"{command} is not allowed in status {s.status}; allowed in: returned, submitted"
            + ("; use Redispatch to move it to another OPD" if s.status in WITH_OPD else ""),
        )


def _route(state: ComplaintState | None, cmd: c.Route, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    opd = _required("opd", cmd.opd, CODE_MAX)
    _from_desk(s, "Route")
    _no_ping_pong(s, opd, "Route")
    rule_id = _required("rule_id", cmd.rule_id, CODE_MAX)
    _dispatch_event(s, ctx, out, opd, rule_id, _optional("reason", cmd.reason, REASON_MAX), cmd.priority)


def _route_to_desk(state: ComplaintState | None, cmd: c.RouteToDesk, ctx: Context, out: _Batch) -> None:
    _transition(state, ev.RoutedToDesk, "RouteToDesk")
    out.add(
        ev.RoutedToDesk,
        rule_id=_required("rule_id", cmd.rule_id, CODE_MAX),
        reason=_optional("reason", cmd.reason, REASON_MAX),
    )


def _dispatch(state: ComplaintState | None, cmd: c.Dispatch, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    opd = _required("opd", cmd.opd, CODE_MAX)
    _from_desk(s, "Dispatch")
    _no_ping_pong(s, opd, "Dispatch")
    _dispatch_event(s, ctx, out, opd, "", _optional("reason", cmd.reason, REASON_MAX))


def _redispatch(state: ComplaintState | None, cmd: c.Redispatch, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    opd = _required("opd", cmd.opd, CODE_MAX)
    reason = _required("reason", cmd.reason, REASON_MAX)
    if s.status not in WITH_OPD:
        raise _refuse(
            "lifecycle:Redispatch",
            f"Redispatch is not allowed in status {s.status}; allowed in: " + ", ".join(sorted(WITH_OPD)),
        )
    if opd == s.opd:
        raise _refuse("redispatch-to-same-opd", f"the complaint is already with {opd}", RefusalKind.INVALID)
    _no_ping_pong(s, opd, "Redispatch")
    _dispatch_event(s, ctx, out, opd, "", reason)


def _decide_owner(state: ComplaintState | None, cmd: c.DecideOwner, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    opd = _required("opd", cmd.opd, CODE_MAX)
    reason = _required("reason", cmd.reason, REASON_MAX)
    _transition(s, ev.OwnerDecided, "DecideOwner")
    out.add(
        ev.OwnerDecided,
        opd=opd,
        final=cmd.final,
        reason=reason,
        acknowledge_within=ctx.policy.acknowledge_budget(s.priority),
        resolve_within=ctx.policy.resolve_budget(s.priority, s.kind),
    )


def _verify(state: ComplaintState | None, cmd: c.Verify, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    _transition(s, ev.ComplaintVerified, "Verify")
    if s.verified:
        raise _refuse("already-verified", f"the complaint was already verified (as {s.kind})")
    out.add(ev.ComplaintVerified, kind=cmd.kind, resolve_within=ctx.policy.resolve_budget(s.priority, cmd.kind))


def _request_info(state: ComplaintState | None, cmd: c.RequestInfo, ctx: Context, out: _Batch) -> None:
    question = _required("question", cmd.question, TEXT_MAX)
    _transition(state, ev.InfoRequested, "RequestInfo")
    out.add(ev.InfoRequested, question=question)


def _mark_duplicate(state: ComplaintState | None, cmd: c.MarkDuplicate, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    of = _required("duplicate_of", cmd.duplicate_of, CODE_MAX)
    if of == s.complaint_id:
        raise _refuse("duplicate-of-itself", "a complaint cannot be a duplicate of itself", RefusalKind.INVALID)
    _transition(s, ev.ComplaintMarkedDuplicate, "MarkDuplicate")
    out.add(ev.ComplaintMarkedDuplicate, duplicate_of=of, reason=_optional("reason", cmd.reason, REASON_MAX))


def _archive(state: ComplaintState | None, cmd: c.Archive, ctx: Context, out: _Batch) -> None:
    reason = _required("reason", cmd.reason, REASON_MAX)
    _transition(state, ev.ComplaintArchived, "Archive")
    out.add(ev.ComplaintArchived, reason=reason)


def _escalate(state: ComplaintState | None, cmd: c.Escalate, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    reason = _required("reason", cmd.reason, REASON_MAX)
    _transition(s, ev.ComplaintEscalated, "Escalate")
    if s.escalation is not None and ESCALATION_ORDER.index(cmd.level) <= ESCALATION_ORDER.index(s.escalation):
        raise _refuse(
            "escalation-not-higher",
            f"the complaint is already escalated to {s.escalation}; escalate only to a higher level",
        )
    out.add(ev.ComplaintEscalated, level=cmd.level, reason=reason, deadline_id="")


def _acknowledge(state: ComplaintState | None, cmd: c.Acknowledge, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    _transition(s, ev.ComplaintAcknowledged, "Acknowledge")
    out.add(ev.ComplaintAcknowledged, opd=s.opd or "")


def _assign(state: ComplaintState | None, cmd: c.Assign, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    officer = _required("officer", cmd.officer, CODE_MAX)
    if s.status is Status.DISPATCHED:
        raise _refuse("assign-after-acknowledge", "acknowledge the complaint before assigning it")
    _transition(s, ev.OfficerAssigned, "Assign")
    out.add(ev.OfficerAssigned, opd=s.opd or "", officer=officer)


def _follow_up(state: ComplaintState | None, cmd: c.PostFollowUp, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    text = _required("text", cmd.text, TEXT_MAX)
    if s.status is Status.DISPATCHED:
        raise _refuse("follow-up-after-acknowledge", "acknowledge the complaint before posting a follow-up")
    _transition(s, ev.FollowUpPosted, "PostFollowUp")
    out.add(ev.FollowUpPosted, opd=s.opd or "", text=text)


def _hand_back(state: ComplaintState | None, cmd: c.HandBack, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    reason = _required("reason", cmd.reason, REASON_MAX)
    suggested = _optional("suggested_opd", cmd.suggested_opd, CODE_MAX)
    if suggested and suggested == s.opd:
        raise _refuse("suggested-opd-is-self", "suggest another OPD than your own", RefusalKind.INVALID)
    _transition(s, ev.ComplaintHandedBack, "HandBack")
    if s.owner_final and s.decided_owner == s.opd:
        raise _refuse(
            "owner-decided",
            f"the coordinator decided that {s.opd} owns this complaint; only the coordinator can move it",
        )
    out.add(
        ev.ComplaintHandedBack,
        opd=s.opd or "",
        reason=reason,
        suggested_opd=suggested,
        dispatch_within=ctx.policy.dispatch_budget(s.priority),
    )
    cap = ctx.policy.cap_for(s.category)
    if s.hand_backs_since_decision + 1 >= cap:
        out.add(ev.HandBackCapReached, hand_backs=s.hand_backs_since_decision + 1, cap=cap)


def _resolve(state: ComplaintState | None, cmd: c.Resolve, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    resolution = _required("resolution", cmd.resolution, TEXT_MAX)
    if s.status in (Status.DISPATCHED, Status.REOPENED):
        raise _refuse(
            "resolve-after-acknowledge",
            f"a complaint in status {s.status} must be acknowledged (or followed up) before it is resolved",
        )
    _transition(s, ev.ComplaintResolved, "Resolve")
    out.add(ev.ComplaintResolved, opd=s.opd or "", resolution=resolution, auto_close_within=ctx.policy.auto_close)


def _add_info(state: ComplaintState | None, cmd: c.AddInfo, ctx: Context, out: _Batch) -> None:
    text = _required("text", cmd.text, TEXT_MAX)
    _transition(state, ev.InfoAdded, "AddInfo")
    out.add(ev.InfoAdded, text=text)


def _confirm(state: ComplaintState | None, cmd: c.ConfirmResolved, ctx: Context, out: _Batch) -> None:
    _transition(state, ev.ResolutionConfirmed, "ConfirmResolved")
    out.add(ev.ResolutionConfirmed)


def _reopen(state: ComplaintState | None, cmd: c.Reopen, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    reason = _required("reason", cmd.reason, REASON_MAX)
    _transition(s, ev.ComplaintReopened, "Reopen")
    assert s.resolved_at is not None  # resolved
    window_ends = ctx.calendar.add_working_time(s.resolved_at, ctx.policy.reopen_window.span)
    if ctx.now >= window_ends:
        raise _refuse(
            "reopen-window-closed",
            f"a complaint may be reopened within {ctx.policy.reopen_window} of its resolution "
            f"(until {window_ends.isoformat()}); submit a new complaint instead",
        )
    out.add(
        ev.ComplaintReopened,
        opd=s.opd or "",
        reason=reason,
        acknowledge_within=ctx.policy.acknowledge_budget(s.priority),
        resolve_within=ctx.policy.resolve_budget(s.priority, s.kind),
    )


def _rate(state: ComplaintState | None, cmd: c.Rate, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    if not 1 <= cmd.score <= 4:
        raise _refuse("ikm-score-range", f"score: IKM scores run from 1 to 4, got {cmd.score}", RefusalKind.INVALID)
    comment = _optional("comment", cmd.comment, TEXT_MAX)
    _transition(s, ev.ComplaintRated, "Rate")
    if s.rating is not None:
        raise _refuse("already-rated", f"the citizen already rated this complaint ({s.rating})")
    out.add(ev.ComplaintRated, score=cmd.score, comment=comment)


def _notified(state: ComplaintState | None, cmd: c.RecordNotification, ctx: Context, out: _Batch) -> None:
    _transition(state, ev.StaffNotified, "RecordNotification")
    out.add(
        ev.StaffNotified,
        opd=cmd.opd,
        channel=_required("channel", cmd.channel, CODE_MAX),
        recipient=cmd.recipient,
        outcome=_required("outcome", cmd.outcome, CODE_MAX),
        detail=cmd.detail[:REASON_MAX],
    )


def _deadline(state: ComplaintState | None, cmd: c.DeadlineCommand, ctx: Context, out: _Batch) -> None:
    s = _s(state)
    d = s.deadline(cmd.deadline_id)
    if d is None:
        return  # the stage ended before the clock got to it: nothing to record
    marker = (
        f"escalation:{cmd.level}"
        if isinstance(cmd, c.RecordEscalation)
        else {c.RecordDeadlineWarning: "warning", c.RecordDeadlineBreach: "breach", c.AutoClose: "auto_close"}[
            type(cmd)
        ]
    )
    if marker in d.fired:
        return
    firing = next((f for f in schedule(d, ctx.policy, ctx.calendar) if f.marker == marker), None)
    if firing is None:
        raise _refuse("no-such-firing", f"deadline {d.deadline_id} ({d.stage}) has no {marker}", RefusalKind.INVALID)
    if firing.at > ctx.now:
        raise _refuse("deadline-not-due", f"{marker} of {d.deadline_id} is due at {firing.at.isoformat()}")
    due_at = next(f.at for f in schedule(d, ctx.policy, ctx.calendar) if f.marker in ("breach", "auto_close"))
    if isinstance(cmd, c.AutoClose):
        out.add(ev.ComplaintAutoClosed, deadline_id=d.deadline_id)
    elif isinstance(cmd, c.RecordEscalation):
        out.add(
            ev.ComplaintEscalated,
            level=cmd.level,
            reason=f"{d.stage} deadline {due_at.isoformat()} passed" + (f" ({d.opd})" if d.opd else ""),
            deadline_id=d.deadline_id,
        )
    else:
        event_type = ev.DeadlineWarned if isinstance(cmd, c.RecordDeadlineWarning) else ev.DeadlineBreached
        out.add(event_type, deadline_id=d.deadline_id, stage=d.stage, opd=d.opd, due_at=due_at)


_HANDLERS: Mapping[type[c.Command], Handler] = {
    c.Submit: _submit,
    c.AddInfo: _add_info,
    c.ConfirmResolved: _confirm,
    c.Reopen: _reopen,
    c.Rate: _rate,
    c.Verify: _verify,
    c.RequestInfo: _request_info,
    c.Dispatch: _dispatch,
    c.Redispatch: _redispatch,
    c.MarkDuplicate: _mark_duplicate,
    c.Archive: _archive,
    c.Escalate: _escalate,
    c.DecideOwner: _decide_owner,
    c.Acknowledge: _acknowledge,
    c.Assign: _assign,
    c.PostFollowUp: _follow_up,
    c.HandBack: _hand_back,
    c.Resolve: _resolve,
    c.Route: _route,
    c.RouteToDesk: _route_to_desk,
    c.RecordNotification: _notified,
    c.RecordDeadlineWarning: _deadline,
    c.RecordDeadlineBreach: _deadline,
    c.RecordEscalation: _deadline,
    c.AutoClose: _deadline,
}

__all__ = ["PERMISSIONS", "PRIMARY_EVENT", "Decision", "Refusal", "RefusalKind", "Stage", "decide"]
