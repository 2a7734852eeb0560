"""The deadline clock over the deadline index, with a clock the test moves: every firing is recorded once, through
an outage of days, a restart and a second clock; a paused clock resumes with the time left; holidays count."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from suara_casework.adapters.deadline_index import InMemoryDeadlineIndex
from suara_casework.entrypoints.clock import DeadlineClock, deadline_projector
from suara_complaint import WIB, Actor, Policy, Priority, Role, Status, WorkingCalendar, load_calendar, load_rules
from suara_complaint import commands as c
from suara_complaint import events as lc
from suara_kit import codec
from suara_kit.complaints import ComplaintStore
from suara_kit.events import Event
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.relay import publish_on_append

DATA = Path(__file__).resolve().parents[3] / "data"
CALENDAR = load_calendar(DATA / "calendar")
INTEGRATOR = Actor("portal-kota", Role.INTEGRATOR)
COORDINATOR = Actor("koordinator-ani", Role.COORDINATOR)
OFFICER = Actor("siti.dpupr", Role.OPD_OFFICER, "DPUPR")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=WIB)  # no holiday that week or the next


class Clock:
    """The time the store and the clock see; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Casework:
    """The write path (ComplaintStore on an in-memory journal), the topic (an in-memory publisher fed by the relay's
    own code) and the deadline index projected from it by the projector's handler."""

    def __init__(self, now: datetime, policy: Policy | None = None, calendar: WorkingCalendar = CALENDAR) -> None:
        self.policy = policy or Policy()
        self.clock = Clock(now)
        self.journal = InMemoryJournal()
        self.topic = InMemoryEventPublisher()
        self.store = ComplaintStore(
            self.journal,
            self.policy,
            calendar,
            producer="suara-casework",
            appended=publish_on_append(self.journal, self.topic),
            clock=self.clock,
        )
        self.index = InMemoryDeadlineIndex(self.policy, calendar)
        self._project = deadline_projector(self.index)
        self._read = 0
        self._keys = itertools.count(1)

    def project(self) -> None:
        """Deliver what the relay published so far to the index projector (a consumer that caught up)."""
        for published in self.topic.published[self._read :]:
            self._project(SimpleNamespace(value=published.value))
        self._read = len(self.topic.published)

    def do(self, command_type: type[c.Command], complaint_id: str, actor: Actor, **fields: object) -> None:
        command = command_type(
            complaint_id=complaint_id, actor=actor, idempotency_key=f"k-{next(self._keys)}", **fields
        )
        self.store.execute(command)
        self.project()

    def submit_and_dispatch(self, opd: str = "DPUPR", priority: Priority = Priority.NORMAL) -> str:
        complaint_id = str(uuid.uuid4())
        self.do(
            c.Submit,
            complaint_id,
            INTEGRATOR,
            tracking_number="KDR-3Q7ZK-M0P4X",
            category="jalan_rusak",
            priority=priority,
            text="Jalan Merbabu berlubang besar.",
            kelurahan_code="35.71.01.1008",
            source_channel="web_portal",
        )
        self.do(c.Dispatch, complaint_id, COORDINATOR, opd=opd)
        return complaint_id

    def clock_instance(self) -> DeadlineClock:
        return DeadlineClock(self.index, self.store, interval_seconds=0.01)

    def fired(self, complaint_id: str) -> list[Event]:
        """The deadline clock's events in the journal, in order."""
        events = [codec.decode(s.data) for s in self.journal.stream(complaint_id)]
        return [e for e in events if e.actor.id == "suara-deadline-clock"]


def names(events: list[Event]) -> list[str]:
    out = []
    for e in events:
        payload = e.payload
        name = type(payload).__name__
        if isinstance(payload, lc.ComplaintEscalated):
            name += f":{payload.level}"
        if isinstance(payload, lc.DeadlineWarned | lc.DeadlineBreached | lc.ComplaintEscalated):
            name += f"@{payload.deadline_id.split('/')[1]}"
        out.append(name)
    return out


def test_an_outage_of_three_working_days_fires_everything_due_once_in_order() -> None:
    casework = Casework(MONDAY)
    complaint_id = casework.submit_and_dispatch()
    clock = casework.clock_instance()
    assert clock.tick().recorded == []

    casework.clock.now = MONDAY + timedelta(days=3)  # Thursday 09:00: the acknowledgement's 3 working days are up
    tick = clock.tick()

    assert names(tick.recorded) == [
        "DeadlineWarned@acknowledge",
        "DeadlineBreached@acknowledge",
        "ComplaintEscalated:opd_head@acknowledge",
    ]
    assert casework.fired(complaint_id) == tick.recorded
    assert all(e.actor.id == "suara-deadline-clock" for e in tick.recorded)
    # The same moment again, before and after the index has caught up: nothing more.
    assert clock.tick().recorded == []
    casework.project()
    assert clock.tick().recorded == []
    assert len(casework.fired(complaint_id)) == 3


def test_a_restarted_clock_and_a_second_clock_fire_nothing_twice() -> None:
    casework = Casework(MONDAY)
    complaint_id = casework.submit_and_dispatch()
    first = casework.clock_instance()
    casework.clock.now = MONDAY + timedelta(days=3)
    first.tick()

    # A restart (a fresh clock over the same index, which has not yet seen the events the first one recorded),
    # then a second clock process running beside the first once the index caught up.
    restarted = casework.clock_instance()
    assert restarted.tick().recorded == []
    casework.project()
    second = casework.clock_instance()
    assert second.tick().recorded == [] and first.tick().recorded == []

    # A day later, both clocks tick: the next firings are recorded once between them.
    casework.clock.now = MONDAY + timedelta(days=4)  # Friday 09:00
    recorded = second.tick().recorded + first.tick().recorded + restarted.tick().recorded
    assert names(recorded) == ["DeadlineWarned@resolve", "ComplaintEscalated:coordinator@acknowledge"]
    fired = names(casework.fired(complaint_id))
    assert len(fired) == len(set(fired)) == 5


def test_the_index_follows_the_complaint_and_forgets_deadlines_that_ended() -> None:
    casework = Casework(MONDAY)
    complaint_id = casework.submit_and_dispatch()
    entry = casework.index.get(complaint_id)
    assert entry is not None
    assert entry.status == Status.DISPATCHED
    assert {d.stage for d in entry.deadlines} == {"acknowledge", "resolve"}
    assert entry.next_firing_at == MONDAY + timedelta(hours=54)  # the acknowledgement's warning, at 3/4 of 72 h

    casework.clock.now = MONDAY + timedelta(hours=2)
    casework.do(c.Acknowledge, complaint_id, OFFICER)

    entry = casework.index.get(complaint_id)
    assert entry is not None
    assert [d.stage for d in entry.deadlines] == ["resolve"]
    assert entry.next_firing_at == MONDAY + timedelta(hours=90)  # the resolution's warning, at 3/4 of 120 h
    casework.clock.now = MONDAY + timedelta(days=3)  # past the acknowledgement's deadline, which ended
    assert casework.clock_instance().tick().recorded == []


def test_the_clock_pauses_while_waiting_on_the_citizen_and_resumes_with_the_time_left() -> None:
    casework = Casework(MONDAY)
    complaint_id = casework.submit_and_dispatch()
    clock = casework.clock_instance()

    casework.clock.now = MONDAY + timedelta(days=1)  # one of three working days used
    casework.do(c.RequestInfo, complaint_id, COORDINATOR, question="Di depan nomor berapa?")
    entry = casework.index.get(complaint_id)
    assert entry is not None
    assert entry.status == Status.WAITING_ON_CITIZEN
    assert entry.next_firing_at is None and {d.due_at for d in entry.deadlines} == {None}

    casework.clock.now = MONDAY + timedelta(days=14)  # two weeks with no answer: nothing fires meanwhile
    assert clock.tick().recorded == []

    resumed = casework.clock.now
    casework.do(c.AddInfo, complaint_id, INTEGRATOR, text="Depan nomor 12.")
    entry = casework.index.get(complaint_id)
    assert entry is not None and entry.status == Status.DISPATCHED
    acknowledge = next(d for d in entry.deadlines if d.stage == "acknowledge")
    # Monday + 14 days is a Monday: the two working days left end on Wednesday, same hour.
    assert acknowledge.due_at == resumed + timedelta(days=2)
    assert entry.next_firing_at == resumed + timedelta(hours=54 - 24)  # the warning: 30 h of the 48 h left

    casework.clock.now = resumed + timedelta(days=2) - timedelta(seconds=1)
    assert names(clock.tick().recorded) == ["DeadlineWarned@acknowledge"]
    casework.project()
    casework.clock.now = resumed + timedelta(days=2)
    assert names(clock.tick().recorded) == [
        "DeadlineBreached@acknowledge",
        "ComplaintEscalated:opd_head@acknowledge",
    ]


def test_a_deadline_over_christmas_2026_skips_the_cuti_bersama_and_the_holiday() -> None:
    tuesday = datetime(2026, 12, 22, 10, 0, tzinfo=WIB)
    casework = Casework(tuesday)
    complaint_id = casework.submit_and_dispatch()

    entry = casework.index.get(complaint_id)
    assert entry is not None
    acknowledge = next(d for d in entry.deadlines if d.stage == "acknowledge")
    # 22 (Tue, from 10:00) and 23 Dec count; 24 (cuti bersama), 25 (Christmas), 26-27 (weekend) do not; 28 counts;
    # the third working day ends on Tuesday 29 December at 10:00. Without the calendar it would be Friday 25.
    assert acknowledge.due_at == datetime(2026, 12, 29, 10, 0, tzinfo=WIB)
    assert entry.next_firing_at == datetime(2026, 12, 28, 16, 0, tzinfo=WIB)  # 54 h: 14 + 24 + 16

    clock = casework.clock_instance()
    casework.clock.now = datetime(2026, 12, 25, 10, 0, tzinfo=WIB)  # the day a weekday-only count would breach
    assert clock.tick().recorded == []
    casework.clock.now = datetime(2026, 12, 29, 9, 59, tzinfo=WIB)
    assert names(clock.tick().recorded) == ["DeadlineWarned@acknowledge"]
    casework.clock.now = datetime(2026, 12, 29, 10, 0, tzinfo=WIB)
    assert names(clock.tick().recorded)[:1] == ["DeadlineBreached@acknowledge"]


def test_without_the_holiday_files_the_same_deadline_falls_on_christmas() -> None:
    """The test above can fail: the calendar is what moves the deadline."""
    tuesday = datetime(2026, 12, 22, 10, 0, tzinfo=WIB)
    casework = Casework(tuesday, calendar=WorkingCalendar())
    complaint_id = casework.submit_and_dispatch()
    entry = casework.index.get(complaint_id)
    assert entry is not None
    acknowledge = next(d for d in entry.deadlines if d.stage == "acknowledge")
    assert acknowledge.due_at == datetime(2026, 12, 25, 10, 0, tzinfo=WIB)


def test_an_emergency_runs_on_the_wall_clock_in_minutes() -> None:
    saturday_night = datetime(2026, 11, 21, 23, 0, tzinfo=WIB)
    casework = Casework(saturday_night)
    complaint_id = casework.submit_and_dispatch(opd="DAMKAR", priority=Priority.DARURAT)
    clock = casework.clock_instance()

    casework.clock.now = saturday_night + timedelta(minutes=60)
    assert names(clock.tick().recorded) == [
        "DeadlineWarned@acknowledge",
        "DeadlineBreached@acknowledge",
        "ComplaintEscalated:opd_head@acknowledge",
    ]
    assert len(casework.fired(complaint_id)) == 3


def test_auto_close_fires_ten_working_days_after_the_resolution() -> None:
    casework = Casework(MONDAY)
    complaint_id = casework.submit_and_dispatch()
    casework.do(c.Acknowledge, complaint_id, OFFICER)
    casework.do(c.Resolve, complaint_id, OFFICER, resolution="Lubang sudah ditambal.")
    clock = casework.clock_instance()

    casework.clock.now = MONDAY + timedelta(days=14) - timedelta(seconds=1)  # 10 working days less a second
    assert clock.tick().recorded == []
    casework.clock.now = MONDAY + timedelta(days=14)
    assert names(clock.tick().recorded) == ["ComplaintAutoClosed"]
    casework.project()
    entry = casework.index.get(complaint_id)
    assert entry is not None
    assert (entry.status, entry.next_firing_at, entry.deadlines) == (Status.CLOSED, None, ())


def test_a_failure_on_one_complaint_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    casework = Casework(MONDAY)
    broken = casework.submit_and_dispatch()
    healthy = casework.submit_and_dispatch()
    load = casework.store.load

    def failing_load(complaint_id: str):  # type: ignore[no-untyped-def]
        if complaint_id == broken:
            raise RuntimeError("a bug")
        return load(complaint_id)

    monkeypatch.setattr(casework.store, "load", failing_load)
    casework.clock.now = MONDAY + timedelta(days=3)
    tick = casework.clock_instance().tick()

    assert tick.failed == 1
    assert {e.complaint_id for e in tick.recorded} == {healthy}


def test_run_ticks_until_stopped() -> None:
    import threading

    casework = Casework(MONDAY)
    complaint_id = casework.submit_and_dispatch()
    casework.clock.now = MONDAY + timedelta(days=3)
    clock = casework.clock_instance()
    worker = threading.Thread(target=clock.run)
    worker.start()
    try:
        for _ in range(200):
            if len(casework.fired(complaint_id)) == 3:
                break
            threading.Event().wait(0.01)
    finally:
        clock.stop()
        worker.join(timeout=5)
    assert not worker.is_alive()
    assert len(casework.fired(complaint_id)) == 3


def test_the_rules_load_from_the_catalogue_and_the_holiday_files() -> None:
    policy, calendar = load_rules(DATA / "kota-kediri", DATA / "calendar")
    assert policy.dispatch.amount == 3 and policy.auto_close.amount == 10
    assert calendar.holiday(datetime(2026, 12, 24).date()) is not None
