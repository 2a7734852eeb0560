"""What a complaint view holds, and how it is derived from the complaint's events (both vocabularies).

`derive(stream, policy, calendar)` folds the stream (in sequence order, contiguous from 1) with
`suara_kit.complaint_stream.fold_stream` and reads the router's desk flags from the walking skeleton's
ComplaintRouted. The result depends on the events alone, never on a clock, so a replay gives the same view; what
depends on the time (overdue, figures "this month") is computed when asked (`ComplaintView.overdue_at`).

The stored document (adapters.views) is `document_fields(view)` plus the events; `view_from_document` reads it back.
Both adapters use these two functions, so the fake and MongoDB hold the same documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from suara_complaint import events as lc
from suara_complaint.actors import Role as LifecycleRole
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.deadlines import due_at, remaining
from suara_complaint.lifecycle import TERMINAL, WITH_OPD, Status
from suara_complaint.policy import Policy
from suara_complaint.state import ComplaintState, EvolveError, evolve
from suara_kit.complaint_stream import fold_stream, held_by, lifecycle_events
from suara_kit.events import ComplaintRouted, ComplaintSubmitted, Event

# Sorts after every real due time: complaints with no running deadline come last in a queue.
NO_DUE_TIME = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class DeadlineView:
    deadline_id: str
    stage: str
    opd: str
    due_at: datetime | None  # None while paused
    warned: bool
    breached: bool
    paused_seconds_left: int  # set while paused: the time left when it paused (working time for day budgets)


@dataclass(frozen=True)
class Breach:
    """A DeadlineBreached event, kept for the figures ("breaches this month")."""

    at: datetime
    opd: str  # "" for the coordinator's stage
    stage: str


@dataclass(frozen=True)
class ComplaintView:
    complaint_id: str
    tracking_number: str = ""
    version: int = 0  # the aggregate's version: what a command's expected_version is compared with
    status: str = ""  # "" until ComplaintSubmitted is seen
    category: str = ""
    priority: str = ""
    opd: str = ""  # the OPD that holds it, or last held it
    officer: str = ""
    kelurahan_code: str = ""
    submitted_by: str = ""  # the integrator that submitted it
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    next_due_at: datetime | None = None
    deadlines: tuple[DeadlineView, ...] = ()
    handed_back_by: tuple[str, ...] = ()
    hand_backs: int = 0
    decided_owner: str = ""
    owner_final: bool = False
    escalation: str = ""
    duplicate_of: str = ""
    rating: int = 0
    resolution: str = ""
    # The router's flags (walking skeleton's ComplaintRouted).
    needs_coordinator: bool = False
    outside_authority: str = ""
    emergency: bool = False
    possible_duplicate_of: str = ""
    possible_duplicate_tracking_number: str = ""
    desk_reason: str = ""  # why it is on the coordinator's desk; "" when it is not
    # Who may see it, and what the queries select on.
    held_by: tuple[str, ...] = ()  # every OPD it was dispatched to, first first
    holder: str = ""  # the OPD whose queue it is in ("" when in nobody's)
    dispatched_at: datetime | None = None  # the last dispatch (or reopening) to `opd`
    acknowledged_at: datetime | None = None  # `opd`'s acknowledgement since then
    resolved_at: datetime | None = None
    breaches: tuple[Breach, ...] = ()
    problem: str = ""  # why the stream could not be folded whole (a corrupt stream); "" normally

    @property
    def open(self) -> bool:
        return bool(self.status) and Status(self.status) not in TERMINAL

    @property
    def on_desk(self) -> bool:
        return bool(self.desk_reason)

    @property
    def someone_must_act(self) -> bool:
        """Open and not merely waiting for the citizen to confirm a resolution: what overdue lists consider."""
        return self.open and self.status != Status.RESOLVED

    @property
    def breached(self) -> bool:
        return any(d.breached for d in self.deadlines)

    @property
    def sort_due(self) -> datetime:
        return self.next_due_at or NO_DUE_TIME

    def overdue_at(self, now: datetime) -> bool:
        return self.someone_must_act and (self.breached or (self.next_due_at is not None and self.next_due_at < now))


def derive(complaint_id: str, stream: Sequence[Event], policy: Policy, calendar: WorkingCalendar) -> ComplaintView:
    """The view of a complaint whose events `stream` holds (in sequence order, contiguous from 1)."""
    state, problem = _fold(stream, policy)
    submitted = next((e.payload for e in stream if isinstance(e.payload, ComplaintSubmitted)), None)
    routed = next((e.payload for e in stream if isinstance(e.payload, ComplaintRouted)), None)
    changes = lifecycle_events(stream, policy)[: state.version if state else 0]
    lc_submitted = next((e for e in changes if isinstance(e, lc.ComplaintSubmitted)), None)
    if state is None:
        tracking = submitted.tracking_number if submitted else ""
        return ComplaintView(complaint_id, tracking_number=tracking, problem=problem)
    deadlines = tuple(_deadline(d, state, calendar) for d in state.deadlines)
    running = [d.due_at for d in deadlines if d.due_at is not None]
    dispatched_at, acknowledged_at = _timings(changes, state)
    view = ComplaintView(
        complaint_id=complaint_id,
        tracking_number=lc_submitted.tracking_number if lc_submitted else "",
        version=state.version,
        status=state.status.value,
        category=state.category,
        priority=state.priority.value,
        opd=state.opd or "",
        officer=state.officer or "",
        kelurahan_code=lc_submitted.kelurahan_code if lc_submitted else "",
        submitted_by=state.submitted_by,
        submitted_at=stored_moment(state.submitted_at),
        updated_at=stored_moment(state.last_event_at) if state.last_event_at else None,
        next_due_at=min(running, default=None),
        deadlines=deadlines,
        handed_back_by=state.handed_back_by,
        hand_backs=state.hand_backs,
        decided_owner=state.decided_owner or "",
        owner_final=state.owner_final,
        escalation=state.escalation.value if state.escalation else "",
        duplicate_of=state.duplicate_of or "",
        rating=state.rating or 0,
        resolution=state.resolution or "",
        needs_coordinator=bool(routed and routed.needs_coordinator),
        outside_authority=routed.outside_authority if routed else "",
        emergency=bool(routed and routed.emergency),
        possible_duplicate_of=routed.possible_duplicate_of if routed else "",
        possible_duplicate_tracking_number=routed.possible_duplicate_tracking_number if routed else "",
        held_by=held_by(changes),
        holder=_holder(state),
        dispatched_at=dispatched_at,
        acknowledged_at=acknowledged_at,
        resolved_at=stored_moment(state.resolved_at) if state.resolved_at else None,
        breaches=tuple(
            Breach(stored_moment(e.at), e.opd, e.stage.value) for e in changes if isinstance(e, lc.DeadlineBreached)
        ),
        problem=problem,
    )
    return _with_desk_reason(view, state, changes, routed)


def _fold(stream: Sequence[Event], policy: Policy) -> tuple[ComplaintState | None, str]:
    """The state the stream folds to, and "" -- or, for a stream the aggregate refuses (corrupt, or written by
    a newer lifecycle), the state of its longest prefix that folds and the reason. A view never stops projecting."""
    try:
        return fold_stream(stream, policy), ""
    except EvolveError as error:
        state: ComplaintState | None = None
        for change in lifecycle_events(stream, policy):
            try:
                state = evolve(state, change)
            except EvolveError:
                break
        return state, str(error)


def stored_moment(moment: datetime) -> datetime:
    """To the store's precision (BSON dates are milliseconds, UTC), so the fake and MongoDB hold the same."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _deadline(d: Any, state: ComplaintState, calendar: WorkingCalendar) -> DeadlineView:
    due = due_at(d, calendar)
    left = 0
    if not d.running and state.last_event_at is not None:
        left = max(int(remaining(d, calendar, state.last_event_at).total_seconds()), 0)
    return DeadlineView(
        deadline_id=d.deadline_id,
        stage=d.stage.value,
        opd=d.opd,
        due_at=stored_moment(due) if due is not None else None,
        warned="warning" in d.fired,
        breached="breach" in d.fired,
        paused_seconds_left=left,
    )


def _holder(state: ComplaintState) -> str:
    """The OPD whose queue the complaint is in: it holds it (dispatched, acknowledged, in progress, reopened), or
    holds it while it waits on the citizen."""
    if state.opd and (
        state.status in WITH_OPD or (state.status is Status.WAITING_ON_CITIZEN and state.paused_in in WITH_OPD)
    ):
        return state.opd
    return ""


def _timings(changes: Sequence[lc.Event], state: ComplaintState) -> tuple[datetime | None, datetime | None]:
    """When the current OPD last received the complaint, and when it acknowledged it since."""
    dispatched: datetime | None = None
    acknowledged: datetime | None = None
    for e in changes:
        if isinstance(e, lc.ComplaintDispatched | lc.OwnerDecided | lc.ComplaintReopened):
            dispatched, acknowledged = e.at, None
        elif isinstance(e, lc.ComplaintAcknowledged | lc.OfficerAssigned | lc.FollowUpPosted):
            if acknowledged is None and dispatched is not None:
                acknowledged = e.at
        elif isinstance(e, lc.ComplaintHandedBack):
            dispatched, acknowledged = None, None
    if not state.opd:
        return None, None
    return (stored_moment(dispatched) if dispatched else None), (stored_moment(acknowledged) if acknowledged else None)


def _with_desk_reason(
    view: ComplaintView, state: ComplaintState, changes: Sequence[lc.Event], routed: ComplaintRouted | None
) -> ComplaintView:
    """Why the coordinator's desk must look at it: unverified, returned, at the hand-back cap, or a router flag
    (possible duplicate, outside authority, possible emergency) the coordinator has not acted on yet."""
    reasons: list[str] = []
    status = state.status
    if status is Status.SUBMITTED:
        if routed is None:
            reasons.append("not routed yet")
        elif state.verified:
            reasons.append("verified, awaiting dispatch")
        else:
            reasons.append("unverified")
    elif status is Status.RETURNED:
        last = next((e for e in reversed(changes) if isinstance(e, lc.ComplaintHandedBack)), None)
        reasons.append(f"returned by {last.opd}: {_clip(last.reason)}" if last else "returned")
    elif status is Status.NEEDS_COORDINATOR:
        reasons.append(f"hand-back cap reached ({state.hand_backs} hand-backs): decide the owner")
    coordinator_acted = any(e.actor.role is LifecycleRole.COORDINATOR for e in changes)
    if routed is not None and view.open and not coordinator_acted:
        if routed.possible_duplicate_of:
            of = routed.possible_duplicate_tracking_number or routed.possible_duplicate_of
            reasons.append(f"possible duplicate of {of}")
        if routed.outside_authority:
            reasons.append(f"outside the city's authority ({routed.outside_authority})")
        if routed.emergency and routed.needs_coordinator:
            reasons.append("possible emergency: check at once")
    return replace(view, desk_reason="; ".join(reasons))


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the stored document -------------------------------------------------------------------------------------------

# Fields the queries select and sort on (adapters.views declares their indexes).
QUERY_FIELDS = ("holder", "desk", "work", "open", "sort_due", "breached")


def document_fields(view: ComplaintView) -> dict[str, Any]:
    """The view as document fields (BSON types only), with the fields the queries select on."""
    return {
        "tracking_number": view.tracking_number,
        "version": view.version,
        "status": view.status,
        "category": view.category,
        "priority": view.priority,
        "opd": view.opd,
        "officer": view.officer,
        "kelurahan_code": view.kelurahan_code,
        "submitted_by": view.submitted_by,
        "submitted_at": view.submitted_at,
        "updated_at": view.updated_at,
        "next_due_at": view.next_due_at,
        "deadlines": [
            {
                "deadline_id": d.deadline_id,
                "stage": d.stage,
                "opd": d.opd,
                "due_at": d.due_at,
                "warned": d.warned,
                "breached": d.breached,
                "paused_seconds_left": d.paused_seconds_left,
            }
            for d in view.deadlines
        ],
        "handed_back_by": list(view.handed_back_by),
        "hand_backs": view.hand_backs,
        "decided_owner": view.decided_owner,
        "owner_final": view.owner_final,
        "escalation": view.escalation,
        "duplicate_of": view.duplicate_of,
        "rating": view.rating,
        "resolution": view.resolution,
        "needs_coordinator": view.needs_coordinator,
        "outside_authority": view.outside_authority,
        "emergency": view.emergency,
        "possible_duplicate_of": view.possible_duplicate_of,
        "possible_duplicate_tracking_number": view.possible_duplicate_tracking_number,
        "desk_reason": view.desk_reason,
        "held_by": list(view.held_by),
        "dispatched_at": view.dispatched_at,
        "acknowledged_at": view.acknowledged_at,
        "resolved_at": view.resolved_at,
        "breaches": [{"at": b.at, "opd": b.opd, "stage": b.stage} for b in view.breaches],
        "problem": view.problem,
        # What the queries select and sort on.
        "holder": view.holder,
        "desk": view.on_desk,
        "work": view.someone_must_act,
        "open": view.open,
        "sort_due": view.sort_due,
        "breached": view.breached,
    }


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _required_utc(value: Any) -> datetime:
    moment = _utc(value)
    assert moment is not None
    return moment


def view_from_document(document: Mapping[str, Any]) -> ComplaintView:
    d = document
    return ComplaintView(
        complaint_id=str(d["_id"]),
        tracking_number=str(d.get("tracking_number", "")),
        version=int(d.get("version", 0)),
        status=str(d.get("status", "")),
        category=str(d.get("category", "")),
        priority=str(d.get("priority", "")),
        opd=str(d.get("opd", "")),
        officer=str(d.get("officer", "")),
        kelurahan_code=str(d.get("kelurahan_code", "")),
        submitted_by=str(d.get("submitted_by", "")),
        submitted_at=_utc(d.get("submitted_at")),
        updated_at=_utc(d.get("updated_at")),
        next_due_at=_utc(d.get("next_due_at")),
        deadlines=tuple(
            DeadlineView(
                deadline_id=str(x["deadline_id"]),
                stage=str(x["stage"]),
                opd=str(x["opd"]),
                due_at=_utc(x.get("due_at")),
                warned=bool(x["warned"]),
                breached=bool(x["breached"]),
                paused_seconds_left=int(x.get("paused_seconds_left", 0)),
            )
            for x in d.get("deadlines", [])
        ),
        handed_back_by=tuple(str(x) for x in d.get("handed_back_by", [])),
        hand_backs=int(d.get("hand_backs", 0)),
        decided_owner=str(d.get("decided_owner", "")),
        owner_final=bool(d.get("owner_final", False)),
        escalation=str(d.get("escalation", "")),
        duplicate_of=str(d.get("duplicate_of", "")),
        rating=int(d.get("rating", 0)),
        resolution=str(d.get("resolution", "")),
        needs_coordinator=bool(d.get("needs_coordinator", False)),
        outside_authority=str(d.get("outside_authority", "")),
        emergency=bool(d.get("emergency", False)),
        possible_duplicate_of=str(d.get("possible_duplicate_of", "")),
        possible_duplicate_tracking_number=str(d.get("possible_duplicate_tracking_number", "")),
        desk_reason=str(d.get("desk_reason", "")),
        held_by=tuple(str(x) for x in d.get("held_by", [])),
        holder=str(d.get("holder", "")),
        dispatched_at=_utc(d.get("dispatched_at")),
        acknowledged_at=_utc(d.get("acknowledged_at")),
        resolved_at=_utc(d.get("resolved_at")),
        breaches=tuple(Breach(_required_utc(b["at"]), str(b["opd"]), str(b["stage"])) for b in d.get("breaches", [])),
        problem=str(d.get("problem", "")),
    )


@dataclass(frozen=True)
class OpdFigures:
    """Per-OPD (or city-wide, opd "") figures for the command centre."""

    opd: str
    open_by_status: Mapping[str, int] = field(default_factory=dict)
    median_time_to_acknowledge: timedelta | None = None  # from the OPD's receiving it to its acknowledgement
    acknowledged: int = 0  # how many the median is over
    median_time_to_resolve: timedelta | None = None  # from the OPD's receiving it to its resolution
    resolved: int = 0
    breaches_this_month: int = 0  # DeadlineBreached of the OPD's stages, this calendar month (WIB)
