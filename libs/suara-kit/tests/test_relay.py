"""The relay: the one publisher, in per-complaint order, through broker outages, under a lease."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from journal_contract import stored

from suara_kit.journal import InMemoryJournal, StoredEvent
from suara_kit.lease import InMemoryLease
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.relay import Relay, RelaySettings


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RefusesKey(InMemoryEventPublisher):
    """A broker that fails the events of one key (say, its partition's leader is gone)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def publish_many(self, items: Sequence[tuple[str, bytes]]) -> list[BaseException | None]:
        outcomes: list[BaseException | None] = []
        for key, value in items:
            if key == self.key:
                outcomes.append(ConnectionError(f"partition of {key} unavailable"))
            else:
                self.publish(key, value)
                outcomes.append(None)
        return outcomes


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(clock: Clock) -> InMemoryJournal:
    return InMemoryJournal(clock=clock)


@pytest.fixture
def publisher() -> InMemoryEventPublisher:
    return InMemoryEventPublisher()


def relay_of(journal, publisher, lease=None, owner="one", clock=None, **settings) -> Relay:
    return Relay(
        journal,
        publisher,
        lease or InMemoryLease(),
        owner,
        settings=RelaySettings(**settings),
        clock=clock or (lambda: datetime.now(UTC)),
    )


def complaint() -> str:
    return str(uuid.uuid4())


def published_positions(publisher: InMemoryEventPublisher, journal: InMemoryJournal) -> list[tuple[str, int]]:
    by_data = {e.data: e for e in journal.unpublished(limit=10**6)} | {
        e.data: e for key in {p.key for p in publisher.published} for e in journal.stream(key)
    }
    return [(by_data[p.value].complaint_id, by_data[p.value].sequence) for p in publisher.published]


def test_publishes_every_pending_event_in_sequence_order_and_empties_the_outbox(journal, publisher) -> None:
    one, other = complaint(), complaint()
    for event in (stored(one, 3), stored(other, 1), stored(one, 1), stored(one, 2)):
        journal.append(event)

    published = relay_of(journal, publisher).publish_round()

    assert published == 4
    positions = published_positions(publisher, journal)
    assert [s for c, s in positions if c == one] == [1, 2, 3]
    assert [s for c, s in positions if c == other] == [1]
    assert all(p.key in (one, other) for p in publisher.published)
    assert journal.pending() == []
    assert journal.unpublished() == []


def test_while_the_broker_is_down_events_wait_and_are_published_once_when_it_is_back(journal, publisher) -> None:
    relay = relay_of(journal, publisher)
    one = complaint()
    journal.append(stored(one, 1))
    publisher.down = True

    with pytest.raises(ConnectionError):
        relay.publish_round()
    journal.append(stored(one, 2))
    assert [p.event.sequence for p in journal.pending()] == [1, 2]

    publisher.down = False
    assert relay.publish_round() == 2
    assert relay.publish_round() == 0
    assert [s for _, s in published_positions(publisher, journal)] == [1, 2]


def test_a_complaint_whose_event_failed_is_held_back_while_others_flow(journal) -> None:
    stuck, flowing = complaint(), complaint()
    publisher = RefusesKey(stuck)
    for event in (stored(stuck, 1), stored(stuck, 2), stored(flowing, 1)):
        journal.append(event)

    with pytest.raises(ConnectionError, match="unavailable"):
        relay_of(journal, publisher).publish_round()

    assert [p.key for p in publisher.published] == [flowing]
    assert [(p.event.complaint_id, p.event.sequence) for p in journal.pending()] == [(stuck, 1), (stuck, 2)]


def test_only_the_lease_holder_publishes_and_another_takes_over_when_the_lease_expires(
    journal, publisher, clock
) -> None:
    lease = InMemoryLease()
    first = relay_of(journal, publisher, lease, "first", clock, lease_seconds=10)
    second = relay_of(journal, publisher, lease, "second", clock, lease_seconds=10)
    one = complaint()
    journal.append(stored(one, 1))
    assert first.publish_round() == 1

    journal.append(stored(one, 2))
    assert second.publish_round() == 0  # first holds the lease
    clock.advance(11)  # first stalled past its lease
    assert second.publish_round() == 1
    assert first.publish_round() == 0  # and first now finds it taken

    assert [s for _, s in published_positions(publisher, journal)] == [1, 2]


def test_an_event_missing_from_the_outbox_is_relayed_before_its_successor(journal, publisher) -> None:
    one = complaint()
    journal.append(stored(one, 1))
    journal.lose_outbox_entry(one, 1)  # its writer died between the journal insert and the outbox insert
    journal.append(stored(one, 2))  # a later writer appended the next event
    relay = relay_of(journal, publisher, sweep_seconds=10**9)
    relay.publish_round()  # (the start-up sweep found it already: make the next round rely on the order check)
    publisher.published.clear()
    journal.append(stored(one, 3))
    journal.append(stored(one, 4))
    journal.lose_outbox_entry(one, 3)

    first_round = relay.publish_round()
    second_round = relay.publish_round()

    assert (first_round, second_round) == (0, 2)
    assert [s for _, s in published_positions(publisher, journal)] == [3, 4]


def test_the_start_up_sweep_finds_an_unpublished_event_left_out_of_the_outbox(journal, publisher) -> None:
    lonely = complaint()
    journal.append(stored(lonely, 1))
    journal.lose_outbox_entry(lonely, 1)

    assert relay_of(journal, publisher).publish_round() == 1
    assert journal.is_published(lonely, 1) is True


def test_lag_is_measured_from_append_to_acknowledgement(journal, publisher, clock) -> None:
    relay = relay_of(journal, publisher, clock=clock)
    journal.append(stored(complaint(), 1))
    clock.advance(0.25)
    journal.append(stored(complaint(), 1))
    clock.advance(0.05)

    relay.publish_round()
    summary = relay.lag_summary()

    assert summary.events == 2
    assert summary.p50_ms == pytest.approx(300, abs=1)  # the older event waited 300 ms, the newer 50 ms
    assert summary.max_ms == pytest.approx(300, abs=1)


def test_run_publishes_on_a_nudge_reports_an_outage_and_recovers(journal, publisher) -> None:
    reports: list[str | None] = []
    relay = Relay(
        journal,
        publisher,
        InMemoryLease(),
        "runner",
        settings=RelaySettings(idle_poll_seconds=5.0, max_backoff_seconds=0.05),
        report=reports.append,
    )
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        one = complaint()
        journal.append(stored(one, 1))
        relay.nudge()
        wait_until(lambda: len(publisher.published) == 1)  # long before the 5 s idle poll

        publisher.down = True
        journal.append(stored(one, 2))
        relay.nudge()
        wait_until(lambda: any(r and "cannot publish" in r for r in reports))
        publisher.down = False
        wait_until(lambda: len(publisher.published) == 2)
        wait_until(lambda: reports[-1] is None)
    finally:
        relay.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert journal.pending() == []


def test_published_flags_survive_for_events_appended_as_published(journal, publisher) -> None:
    done = StoredEvent(str(uuid.uuid4()), complaint(), 1, "ComplaintSubmitted", b"x", published=True)
    journal.append(done)

    assert relay_of(journal, publisher).publish_round() == 0
    assert publisher.published == []


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the timeout")
        time.sleep(0.01)


def test_under_a_backlog_every_complaints_turn_comes_while_early_complaints_keep_writing(journal, publisher) -> None:
    """The outbox is read in (complaint, sequence) order, a batch a round. Each round goes on where the last one
    ended: otherwise, while the first complaints' new events keep the backlog longer than a batch, the last ones
    would wait for ever (seen on the 2,000-complaint simulation: events unpublished for an hour)."""
    *busy, quiet = sorted(complaint() for _ in range(4))
    journal.append(stored(quiet, 1))
    heads = dict.fromkeys(busy, 0)
    relay = relay_of(journal, publisher, batch=2)

    for _ in range(6):
        for complaint_id in busy:  # three new events a round, two published a round
            heads[complaint_id] += 1
            journal.append(stored(complaint_id, heads[complaint_id]))
        relay.publish_round()

    assert journal.is_published(quiet, 1) is True
    for complaint_id in busy:  # and each busy complaint's events still go out in order
        sequences = [s for c, s in published_positions(publisher, journal) if c == complaint_id]
        assert sequences == list(range(1, len(sequences) + 1))


def test_the_holder_renews_its_lease_during_a_round_that_outlasts_it(publisher, clock, monkeypatch) -> None:
    """A round on a loaded store can take longer than the lease (one write per mark): the holder renews between
    its steps, so no other process takes the lease mid-round and publishes the same events again."""
    lease = InMemoryLease()
    taken_by_another: list[bool] = []

    class SlowStore(InMemoryJournal):
        def mark_published(self, events):
            clock.advance(4)  # each slice of marks takes 4 s of a 10 s lease
            super().mark_published(events)
            taken_by_another.append(lease.acquire("second", clock(), timedelta(seconds=10)))

    journal = SlowStore(clock=clock)
    first = relay_of(journal, publisher, lease, "first", clock, lease_seconds=10)
    for _ in range(5):
        journal.append(stored(complaint(), 1))
    monkeypatch.setattr("suara_kit.relay.MARK_SLICE", 1)  # a slice a mark: 5 slices, 20 s

    assert first.publish_round() == 5
    assert taken_by_another == [False] * 5
