"""Checks over recorded event streams, independent of `evolve`: what the property tests, the simulation and a
replay check assert about every complaint's history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from suara_complaint import events as ev
from suara_complaint.lifecycle import Status, next_status


@dataclass(frozen=True)
class Violation:
    complaint_id: str
    position: int  # 1-based position of the offending event in the stream
    rule: str
    detail: str


def check_trace(
    stream: Sequence[ev.Event], *, hand_back_cap: int | Mapping[str, int] = 2, default_cap: int = 2
) -> list[Violation]:
    """Every way `stream` (one complaint's events, in order) breaks the lifecycle's rules:

    - each event is allowed by the transition table from the status the table itself leads to;
    - no more than the cap of hand-backs without an OwnerDecided between them;
    - no ComplaintDispatched to an OPD that already handed the complaint back (only OwnerDecided may);
    - no hand-back by an OPD the coordinator finally decided on, while it holds the complaint;
    - every event id unique, and every deadline firing (deadline id + kind) recorded at most once.
    """
    out: list[Violation] = []
    if not stream:
        return out
    cid = stream[0].complaint_id
    status: Status | None = None
    paused_in: Status | None = None
    category = ""
    since_decision = 0
    refused: set[str] = set()
    final_owner: str | None = None
    holder: str | None = None
    seen_ids: set[str] = set()
    seen_firings: set[str] = set()

    def bad(i: int, rule: str, detail: str) -> None:
        out.append(Violation(cid, i, rule, detail))

    for i, e in enumerate(stream, start=1):
        name = e.type_name()
        if e.complaint_id != cid:
            bad(i, "one-complaint", f"event for {e.complaint_id} in the stream of {cid}")
        if e.event_id in seen_ids:
            bad(i, "unique-event-id", f"{e.event_id} appears twice")
        seen_ids.add(e.event_id)
        nxt = next_status(name, status, paused_in)
        if nxt is None:
            bad(i, "lifecycle", f"{name} is not allowed in status {status}")
            continue
        if name == "InfoRequested":
            paused_in = status
        elif status is Status.WAITING_ON_CITIZEN and nxt is not Status.WAITING_ON_CITIZEN:
            paused_in = None
        status = nxt
        match e:
            case ev.ComplaintSubmitted():
                category = e.category
            case ev.ComplaintDispatched():
                if e.opd in refused:
                    bad(i, "no-ping-pong", f"dispatched to {e.opd}, which handed it back, without OwnerDecided")
                holder, final_owner = e.opd, None
            case ev.OwnerDecided():
                since_decision = 0
                holder, final_owner = e.opd, (e.opd if e.final else None)
            case ev.ComplaintHandedBack():
                since_decision += 1
                cap = hand_back_cap.get(category, default_cap) if isinstance(hand_back_cap, Mapping) else hand_back_cap
                if since_decision > cap:
                    bad(i, "hand-back-cap", f"hand-back #{since_decision} since the last decision (cap {cap})")
                if final_owner is not None and e.opd == final_owner:
                    bad(i, "owner-decided", f"{e.opd} handed back after the coordinator's final decision")
                if e.opd != holder:
                    bad(i, "hand-back-by-holder", f"{e.opd} handed back a complaint held by {holder}")
                refused.add(e.opd)
                holder, final_owner = None, None
            case ev.DeadlineWarned() | ev.DeadlineBreached() | ev.ComplaintAutoClosed():
                key = f"{e.deadline_id}:{name}"
                if key in seen_firings:
                    bad(i, "fire-once", f"{name} for {e.deadline_id} recorded twice")
                seen_firings.add(key)
            case ev.ComplaintEscalated() if e.deadline_id:
                key = f"{e.deadline_id}:escalation:{e.level}"
                if key in seen_firings:
                    bad(i, "fire-once", f"escalation to {e.level} for {e.deadline_id} recorded twice")
                seen_firings.add(key)
            case _:
                pass
    return out
