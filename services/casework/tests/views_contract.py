"""The contract every ComplaintViews adapter passes: the fake here (test_views.py) and MongoDB on the real store
(tests/integration/test_store_adapters.py). A subclass provides the `views` fixture, built with POLICY and CALENDAR.

Streams are written as the topic carries them: the walking skeleton's ComplaintSubmitted / ComplaintRouted from
intake and the router, then lifecycle events decided by the aggregate, each wrapped by the one envelope builder."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from suara_casework.adapters.views import MAX_PAGE_SIZE, ComplaintViews, InvalidPageToken
from suara_complaint import Context, Policy, decide, due_commands, load_calendar
from suara_complaint import commands as c
from suara_complaint.actors import Actor as LifecycleActor
from suara_complaint.actors import Role as LifecycleRole
from suara_kit import codec
from suara_kit.complaint_stream import fold_stream
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    Payload,
    Priority,
    SourceChannel,
)

POLICY = Policy()
CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")
T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
COORDINATOR = LifecycleActor("koordinator-rina", LifecycleRole.COORDINATOR)
INTEGRATOR = "web-portal"


def officer(opd: str) -> LifecycleActor:
    return LifecycleActor(f"petugas-{opd.lower()}", LifecycleRole.OPD_OFFICER, opd)


def routed(opd: str = "DPUPR", **flags: Any) -> ComplaintRouted:
    return ComplaintRouted(
        opd_code=opd,
        opd_name=opd,
        priority=Priority.NORMAL,
        due_at=T0 + timedelta(days=7),
        rule_id="R-TEST-01",
        reason="for the test",
        category="jalan_rusak",
        **flags,
    )


class Story:
    """One complaint's stream, event by event, as the topic carries it."""

    def __init__(self, route: ComplaintRouted | None = None, *, at: datetime = T0, submitted_by: str = INTEGRATOR):
        self.complaint_id = str(uuid.uuid4())
        code = uuid.uuid4().hex.upper()
        self.tracking_number = f"KDR-{code[:5]}-{code[5:10]}"
        self.events: list[Event] = []
        self.add(
            ComplaintSubmitted(
                tracking_number=self.tracking_number,
                text="Jalan berlubang di depan sekolah.",
                category="",
                kelurahan_code="35.71.01.1008",
                kelurahan_name="Mrican",
                kecamatan_name="Mojoroto",
                source_channel=SourceChannel.WEB_PORTAL,
                anonymous=True,
                has_reporter_contact=False,
                idempotency_key=str(uuid.uuid4()),
            ),
            at,
            Actor(ActorKind.INTEGRATOR, submitted_by),
        )
        if route is not None:
            self.add(route, at + timedelta(seconds=1), Actor(ActorKind.SERVICE, "suara-router"))

    def add(self, payload: Payload, at: datetime, actor: Actor) -> Event:
        event = Event(
            event_id=str(uuid.uuid4()),
            complaint_id=self.complaint_id,
            sequence=len(self.events) + 1,
            occurred_at=at,
            actor=actor,
            correlation_id=self.complaint_id,
            causation_id=str(uuid.uuid4()),
            producer="suara-test",
            payload=payload,
        )
        self.events.append(event)
        return event

    def do(self, command: type[c.Command], actor: LifecycleActor, at: datetime, **fields: Any) -> Story:
        decided = decide(
            fold_stream(self.events, POLICY),
            command(complaint_id=self.complaint_id, actor=actor, idempotency_key=str(uuid.uuid4()), **fields),
            Context(at, POLICY, CALENDAR),
        )
        assert isinstance(decided, list), decided
        self._record(decided)
        return self

    def tick(self, at: datetime) -> Story:
        """The deadline clock at `at`: records every firing due."""
        for command in due_commands(fold_stream(self.events, POLICY), at, POLICY, CALENDAR):
            decided = decide(fold_stream(self.events, POLICY), command, Context(at, POLICY, CALENDAR))
            assert isinstance(decided, list), decided
            self._record(decided)
        return self

    def _record(self, changes: list[Any]) -> None:
        for change in changes:
            self.events.append(
                codec.lifecycle_event(
                    change,
                    len(self.events) + 1,
                    correlation_id=self.complaint_id,
                    causation_id=change.command_key,
                    producer="suara-test",
                )
            )

    def apply_to(self, views: ComplaintViews, events: list[Event] | None = None) -> Story:
        for event in self.events if events is None else events:
            data = codec.encode(event)
            views.apply(codec.decode(data), data)
        return self


def ids(page: Any) -> list[str]:
    return [v.complaint_id for v in page.views]


class ViewsContract:
    @pytest.fixture
    def views(self) -> ComplaintViews:
        raise NotImplementedError

    # --- one complaint --------------------------------------------------------------------------------------------

    def test_a_routed_complaint_is_found_by_id_and_by_tracking_number_with_its_deadlines(
        self, views: ComplaintViews
    ) -> None:
        story = Story(routed()).apply_to(views)

        view = views.get(story.complaint_id)
        assert view is not None
        assert views.get(story.tracking_number.lower()) == view
        assert (view.status, view.opd, view.version, view.priority) == ("dispatched", "DPUPR", 2, "normal")
        assert view.tracking_number == story.tracking_number
        assert view.kelurahan_code == "35.71.01.1008"
        assert view.submitted_by == INTEGRATOR
        assert view.submitted_at == T0
        assert view.updated_at == T0 + timedelta(seconds=1)
        assert [d.stage for d in view.deadlines] == ["acknowledge", "resolve"]
        # 3 working days from Monday 09:00 WIB: Thursday 09:00 WIB.
        assert view.next_due_at == datetime(2026, 11, 19, 2, 0, 1, tzinfo=UTC)
        assert view.held_by == ("DPUPR",)
        assert view.desk_reason == ""

    def test_an_unknown_or_malformed_reference_finds_nothing(self, views: ComplaintViews) -> None:
        Story(routed()).apply_to(views)

        assert views.get(str(uuid.uuid4())) is None
        assert views.get("KDR-00000-00000") is None
        assert views.get("x" * 10_000) is None

    def test_applying_events_twice_and_in_any_order_gives_the_same_view(self, views: ComplaintViews) -> None:
        story = Story(routed())
        story.do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1))
        story.do(c.Assign, officer("DPUPR"), T0 + timedelta(hours=2), officer="budi")

        story.apply_to(views, list(reversed(story.events)))
        reversed_order = views.get(story.complaint_id)
        story.apply_to(views)
        story.apply_to(views, story.events[:2])

        view = views.get(story.complaint_id)
        assert view == reversed_order
        assert view is not None
        assert (view.status, view.officer, view.version) == ("in_progress", "budi", 4)

    def test_an_event_after_a_gap_waits_for_the_missing_one(self, views: ComplaintViews) -> None:
        story = Story(routed())
        story.do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1))

        story.apply_to(views, [story.events[0], story.events[2]])
        before = views.get(story.complaint_id)
        story.apply_to(views, [story.events[1]])
        after = views.get(story.complaint_id)

        assert before is not None and after is not None
        assert (before.status, before.version) == ("submitted", 1)
        assert (after.status, after.version) == ("acknowledged", 3)

    def test_a_stream_the_aggregate_refuses_keeps_the_view_of_its_valid_prefix_and_says_why(
        self, views: ComplaintViews
    ) -> None:
        story = Story(routed())
        other = Story(routed()).do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1))
        other = other.do(c.Resolve, officer("DPUPR"), T0 + timedelta(hours=2), resolution="ditambal")
        resolved = other.events[-1].payload
        assert not isinstance(resolved, ComplaintSubmitted | ComplaintRouted)
        story._record([replace(resolved, complaint_id=story.complaint_id)])  # resolved before acknowledged

        story.apply_to(views)

        view = views.get(story.complaint_id)
        assert view is not None
        assert (view.status, view.version) == ("dispatched", 2)
        assert "ComplaintResolved cannot follow status dispatched" in view.problem

    # --- the OPD's queue ------------------------------------------------------------------------------------------

    def test_the_queue_holds_the_opds_open_complaints_soonest_due_first(self, views: ComplaintViews) -> None:
        late = Story(routed(), at=T0 + timedelta(hours=3)).apply_to(views)
        early = Story(routed(), at=T0).apply_to(views)
        waiting = Story(routed(), at=T0 + timedelta(hours=1))
        waiting.do(c.RequestInfo, COORDINATOR, T0 + timedelta(hours=2), question="alamat?").apply_to(views)
        resolved = Story(routed()).do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1))
        resolved.do(c.Resolve, officer("DPUPR"), T0 + timedelta(hours=2), resolution="ditambal").apply_to(views)
        returned = Story(routed()).do(c.HandBack, officer("DPUPR"), T0 + timedelta(hours=1), reason="bukan kami")
        returned.apply_to(views)
        Story(routed("DLHKP")).apply_to(views)
        Story(routed("DISKOMINFO", needs_coordinator=True, outside_authority="PLN")).apply_to(views)

        page = views.queue("DPUPR")

        assert ids(page) == [early.complaint_id, late.complaint_id, waiting.complaint_id]
        assert page.next_page_token == ""
        assert views.get(waiting.complaint_id).status == "waiting_on_citizen"  # type: ignore[union-attr]
        assert page.views[2].next_due_at is None  # paused: last

    def test_the_queue_pages_with_tokens_and_caps_the_page_size(self, views: ComplaintViews) -> None:
        stories = [Story(routed(), at=T0 + timedelta(minutes=n)).apply_to(views) for n in range(5)]

        first = views.queue("DPUPR", page_size=2)
        second = views.queue("DPUPR", page_size=2, page_token=first.next_page_token)
        third = views.queue("DPUPR", page_size=2, page_token=second.next_page_token)

        assert ids(first) + ids(second) + ids(third) == [s.complaint_id for s in stories]
        assert first.next_page_token and second.next_page_token and not third.next_page_token
        assert len(views.queue("DPUPR", page_size=10_000).views) == 5 <= MAX_PAGE_SIZE

    def test_a_bad_page_token_or_one_from_another_query_is_refused(self, views: ComplaintViews) -> None:
        for n in range(3):
            Story(routed(), at=T0 + timedelta(minutes=n)).apply_to(views)
        token = views.queue("DPUPR", page_size=1).next_page_token

        for bad in ("garbage!", token[:-3], "eyJxIjoxfQ"):
            with pytest.raises(InvalidPageToken, match="page_token"):
                views.queue("DPUPR", page_token=bad)
        with pytest.raises(InvalidPageToken, match="another query"):
            views.queue("DLHKP", page_token=token)
        with pytest.raises(InvalidPageToken, match="another query"):
            views.desk(page_token=token)

    # --- overdue --------------------------------------------------------------------------------------------------

    def test_overdue_lists_complaints_past_their_next_deadline_or_breached(self, views: ComplaintViews) -> None:
        now = T0 + timedelta(days=4)  # Friday: the acknowledgement deadlines of Monday's complaints have passed
        breached = Story(routed()).tick(now).apply_to(views)
        past_due = Story(routed(), at=T0 + timedelta(minutes=1)).apply_to(views)
        in_time = Story(routed(), at=now - timedelta(hours=1)).apply_to(views)
        other_opd = Story(routed("DLHKP")).apply_to(views)
        resolved = Story(routed()).do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1))
        resolved.do(c.Resolve, officer("DPUPR"), T0 + timedelta(hours=2), resolution="ditambal").apply_to(views)

        dpupr = views.overdue("DPUPR", now)
        city = views.overdue(None, now)

        view = views.get(breached.complaint_id)
        assert view is not None and view.breached and view.overdue_at(now)
        assert set(ids(dpupr)) == {breached.complaint_id, past_due.complaint_id}
        assert set(ids(city)) == {breached.complaint_id, past_due.complaint_id, other_opd.complaint_id}
        assert in_time.complaint_id not in ids(city) and resolved.complaint_id not in ids(city)

    def test_a_next_overdue_page_keeps_the_first_pages_moment(self, views: ComplaintViews) -> None:
        monday, tuesday, wednesday = (Story(routed(), at=T0 + timedelta(days=n)).apply_to(views) for n in range(3))
        friday = T0 + timedelta(days=4, hours=1)  # Monday's and Tuesday's acknowledgements are late, not Wednesday's

        first = views.overdue(None, friday, page_size=1)
        second = views.overdue(None, T0 + timedelta(days=30), page_size=1, page_token=first.next_page_token)

        assert ids(first) == [monday.complaint_id] and first.next_page_token
        assert ids(second) == [tuesday.complaint_id] and second.next_page_token == ""
        assert wednesday.complaint_id in ids(views.overdue(None, T0 + timedelta(days=30)))

    # --- the coordinator's desk -----------------------------------------------------------------------------------

    def test_the_desk_shows_unverified_returned_capped_and_flagged_complaints_with_why(
        self, views: ComplaintViews
    ) -> None:
        outside = Story(routed("DISKOMINFO", needs_coordinator=True, outside_authority="PLN")).apply_to(views)
        returned = Story(routed()).do(c.HandBack, officer("DPUPR"), T0 + timedelta(hours=1), reason="saluran")
        returned.apply_to(views)
        capped = Story(routed()).do(c.HandBack, officer("DPUPR"), T0 + timedelta(hours=1), reason="saluran")
        capped.do(c.Dispatch, COORDINATOR, T0 + timedelta(hours=2), opd="DLHKP")
        capped.do(c.HandBack, officer("DLHKP"), T0 + timedelta(hours=3), reason="bukan kami").apply_to(views)
        duplicate = Story(routed(possible_duplicate_of=str(uuid.uuid4()), possible_duplicate_tracking_number="KDR-1"))
        duplicate.apply_to(views)
        checked = Story(routed(possible_duplicate_of=str(uuid.uuid4())))
        checked.do(c.Verify, COORDINATOR, T0 + timedelta(hours=1)).apply_to(views)
        plain = Story(routed()).apply_to(views)

        desk = {v.complaint_id: v.desk_reason for v in views.desk().views}

        assert set(desk) == {outside.complaint_id, returned.complaint_id, capped.complaint_id, duplicate.complaint_id}
        assert desk[outside.complaint_id] == "unverified; outside the city's authority (PLN)"
        assert desk[returned.complaint_id] == "returned by DPUPR: saluran"
        assert desk[capped.complaint_id].startswith("hand-back cap reached (2 hand-backs)")
        assert desk[duplicate.complaint_id] == "possible duplicate of KDR-1"
        assert checked.complaint_id not in desk and plain.complaint_id not in desk
        view = views.get(outside.complaint_id)
        assert view is not None
        assert (view.status, view.needs_coordinator, view.outside_authority) == ("submitted", True, "PLN")

    # --- figures --------------------------------------------------------------------------------------------------

    def test_figures_count_open_by_status_median_times_and_breaches_this_month(self, views: ComplaintViews) -> None:
        fast = Story(routed()).do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1, seconds=1))
        fast.do(c.Resolve, officer("DPUPR"), T0 + timedelta(hours=5, seconds=1), resolution="ok").apply_to(views)
        slow = Story(routed()).do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=3, seconds=1))
        slow.apply_to(views)
        Story(routed()).tick(T0 + timedelta(days=4)).apply_to(views)
        Story(routed("DLHKP")).apply_to(views)
        now = T0 + timedelta(days=10)

        dpupr = views.figures("DPUPR", now)
        city = views.figures(None, now)

        assert dict(dpupr.open_by_status) == {"acknowledged": 1, "dispatched": 1, "resolved": 1}
        assert dpupr.median_time_to_acknowledge == timedelta(hours=2) and dpupr.acknowledged == 2
        assert dpupr.median_time_to_resolve == timedelta(hours=5) and dpupr.resolved == 1
        assert dpupr.breaches_this_month == 1
        assert views.figures("DPUPR", datetime(2026, 12, 2, tzinfo=UTC)).breaches_this_month == 0
        assert sum(city.open_by_status.values()) == 4

    def test_clear_forgets_everything(self, views: ComplaintViews) -> None:
        story = Story(routed()).apply_to(views)

        views.clear()

        assert views.get(story.complaint_id) is None and views.get(story.tracking_number) is None
        assert views.queue("DPUPR").views == ()
