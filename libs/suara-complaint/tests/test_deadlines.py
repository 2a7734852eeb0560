"""Deadlines on a controllable clock: when they fire, pausing, emergencies, and the index across complaints."""

from __future__ import annotations

from datetime import datetime, timedelta

from suara_complaint import WIB, DeadlineIndex, Policy, Priority, Stage, Status, WorkingCalendar
from suara_complaint import commands as c
from suara_complaint.deadlines import due_at, due_commands
from suara_complaint.testing import COORDINATOR, INTEGRATOR, ROUTER, Complaint, officer

CID = "c-9"


def submitted(calendar: WorkingCalendar, policy: Policy, now: datetime, priority: Priority) -> Complaint:
    cx = Complaint(calendar, policy, now)
    cx.do(
        c.Submit(
            complaint_id=CID,
            actor=INTEGRATOR,
            idempotency_key="s",
            tracking_number="KDR-1",
            category="pju",
            priority=priority,
            text="Lampu mati",
            kelurahan_code="1",
            source_channel="web_portal",
        )
    )
    cx.do(c.Route(complaint_id=CID, actor=ROUTER, idempotency_key="r", opd="DISHUB", rule_id="R-PJU-01", reason="x"))
    return cx


def tick(cx: Complaint) -> list[str]:
    names = []
    for command in due_commands(cx.state, cx.now, cx.policy, cx.calendar):
        names += [e.type_name() + (f":{e.level}" if hasattr(e, "level") else "") for e in cx.do(command)]
    return names


def test_an_opd_deadline_warns_breaches_and_climbs_the_ladder(calendar: WorkingCalendar, policy: Policy) -> None:
    cx = submitted(calendar, policy, datetime(2026, 11, 2, 9, 0, tzinfo=WIB), Priority.NORMAL)  # Monday
    ack = next(d for d in cx.s.deadlines if d.stage is Stage.ACKNOWLEDGE)
    assert due_at(ack, calendar) == datetime(2026, 11, 5, 9, 0, tzinfo=WIB)
    cx.now = datetime(2026, 11, 4, 14, 59, tzinfo=WIB)
    assert tick(cx) == []
    cx.now = datetime(2026, 11, 4, 15, 0, tzinfo=WIB)  # 75 % of 3 working days
    assert tick(cx) == ["DeadlineWarned"]
    cx.now = datetime(2026, 11, 5, 9, 0, tzinfo=WIB)
    assert tick(cx) == ["DeadlineBreached", "ComplaintEscalated:opd_head"]
    # Monday 9 Nov: the resolution warning (Fri 03:00), the coordinator (Fri 09:00), then at 09:00 the resolution
    # breach with its first rung and the acknowledgement's last rung (ties: breach, then rungs in ladder order).
    cx.now = datetime(2026, 11, 9, 9, 0, tzinfo=WIB)
    assert tick(cx) == [
        "DeadlineWarned",
        "ComplaintEscalated:coordinator",
        "DeadlineBreached",
        "ComplaintEscalated:opd_head",
        "ComplaintEscalated:sekda",
    ]
    assert tick(cx) == []  # nothing fires twice


def test_an_outage_of_days_records_each_firing_once_when_the_clock_returns(
    calendar: WorkingCalendar, policy: Policy
) -> None:
    cx = submitted(calendar, policy, datetime(2026, 11, 2, 9, 0, tzinfo=WIB), Priority.NORMAL)
    cx.now += timedelta(days=30)
    first = tick(cx)
    assert first.count("DeadlineBreached") == 2 and first.count("DeadlineWarned") == 2
    assert tick(cx) == []


def test_waiting_on_the_citizen_pauses_and_resumes_with_the_time_left(
    calendar: WorkingCalendar, policy: Policy
) -> None:
    cx = submitted(calendar, policy, datetime(2026, 11, 2, 9, 0, tzinfo=WIB), Priority.NORMAL)
    cx.now = datetime(2026, 11, 3, 9, 0, tzinfo=WIB)  # one working day used
    cx.do(c.RequestInfo(complaint_id=CID, actor=COORDINATOR, idempotency_key="q", question="Nomor tiang?"))
    assert cx.s.status is Status.WAITING_ON_CITIZEN
    assert all(due_at(d, calendar) is None for d in cx.s.deadlines)
    cx.now = datetime(2026, 11, 20, 9, 0, tzinfo=WIB)  # weeks later: nothing fires while paused
    assert tick(cx) == []
    cx.do(c.AddInfo(complaint_id=CID, actor=INTEGRATOR, idempotency_key="a", text="Tiang nomor 17"))
    assert cx.s.status is Status.DISPATCHED
    ack = next(d for d in cx.s.deadlines if d.stage is Stage.ACKNOWLEDGE)
    assert due_at(ack, calendar) == datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # two working days left


def test_emergencies_run_in_minutes_on_the_wall_clock(calendar: WorkingCalendar, policy: Policy) -> None:
    saturday_night = datetime(2026, 11, 7, 23, 0, tzinfo=WIB)
    cx = submitted(calendar, policy, saturday_night, Priority.DARURAT)
    ack = next(d for d in cx.s.deadlines if d.stage is Stage.ACKNOWLEDGE)
    assert due_at(ack, calendar) == saturday_night + timedelta(minutes=60)


def test_acknowledging_closes_the_acknowledgement_deadline(calendar: WorkingCalendar, policy: Policy) -> None:
    cx = submitted(calendar, policy, datetime(2026, 11, 2, 9, 0, tzinfo=WIB), Priority.NORMAL)
    cx.do(c.Acknowledge(complaint_id=CID, actor=officer("DISHUB"), idempotency_key="k"))
    assert [d.stage for d in cx.s.deadlines] == [Stage.RESOLVE]


def test_the_index_lists_open_deadlines_and_what_is_due(calendar: WorkingCalendar, policy: Policy) -> None:
    cx = submitted(calendar, policy, datetime(2026, 11, 2, 9, 0, tzinfo=WIB), Priority.NORMAL)
    index = DeadlineIndex(policy, calendar)
    index.apply_all(cx.events)
    assert {(d.stage, d.deadline_id) for d in index.open_deadlines()} == {
        (Stage.ACKNOWLEDGE, f"{CID}/acknowledge/2"),
        (Stage.RESOLVE, f"{CID}/resolve/2"),
    }
    assert index.due(datetime(2026, 11, 3, tzinfo=WIB)) == []
    due = index.due(datetime(2026, 11, 5, 9, 0, tzinfo=WIB))
    assert [type(x).__name__ for x in due] == ["RecordDeadlineWarning", "RecordDeadlineBreach", "RecordEscalation"]
    assert due[0].idempotency_key == f"{CID}/acknowledge/2:warning"
