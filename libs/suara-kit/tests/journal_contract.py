"""The contract every Journal adapter keeps, written once and run against each adapter.

Subclass `JournalContract` in a class named `Test...` and give it a `journal` fixture:

    class TestInMemoryJournal(JournalContract):
        @pytest.fixture
        def journal(self) -> Journal:
            return InMemoryJournal()

Every test uses fresh complaint ids, so a journal that other tests also write to (one database for a whole
integration run) is fine. This module imports nothing but pytest and suara_kit: the integration tests put this
folder on sys.path and subclass the same contract with MongoJournal.
"""

from __future__ import annotations

import uuid

import pytest

from suara_kit.journal import ConcurrencyConflict, Journal, StoredEvent


def stored(complaint_id: str, sequence: int, data: bytes = b"", published: bool = False) -> StoredEvent:
    """A journal entry with a fresh event id; the data only has to be bytes the journal keeps untouched."""
    return StoredEvent(
        event_id=str(uuid.uuid4()),
        complaint_id=complaint_id,
        sequence=sequence,
        event_type="ComplaintSubmitted" if sequence == 1 else "ComplaintRouted",
        data=data or f"event {sequence} of {complaint_id}".encode(),
        published=published,
    )


def new_complaint_id() -> str:
    return str(uuid.uuid4())


def head(journal: Journal, complaint_id: str) -> int:
    stream = journal.stream(complaint_id)
    return stream[-1].sequence if stream else 0


def find(journal: Journal, complaint_id: str, event_id: str) -> StoredEvent | None:
    return next((e for e in journal.stream(complaint_id) if e.event_id == event_id), None)


class JournalContract:
    """Tests that any Journal must pass. Not collected by itself (the class name does not start with Test)."""

    @pytest.fixture
    def journal(self) -> Journal:
        raise NotImplementedError("a subclass provides the journal under test")

    def test_append_returns_the_stored_event(self, journal: Journal) -> None:
        event = stored(new_complaint_id(), 1, data=b"\x00\x01binary\xff")

        result = journal.append(event)

        assert result == event
        assert find(journal, event.complaint_id, event.event_id) == event

    def test_get_of_an_unknown_event_id_is_none(self, journal: Journal) -> None:
        assert find(journal, new_complaint_id(), str(uuid.uuid4())) is None

    def test_appending_the_same_event_id_twice_keeps_the_first_and_returns_it(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        first = stored(complaint_id, 1, data=b"first bytes")
        journal.append(first)
        retry = StoredEvent(first.event_id, complaint_id, 1, first.event_type, b"re-encoded bytes")

        result = journal.append(retry)

        assert result == first
        assert result.data == b"first bytes"
        assert journal.stream(complaint_id) == [first]

    def test_appending_the_same_event_id_at_another_sequence_is_still_a_no_op(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        first = stored(complaint_id, 1)
        journal.append(first)

        result = journal.append(StoredEvent(first.event_id, complaint_id, 2, first.event_type, first.data))

        assert result == first
        assert head(journal, complaint_id) == 1

    def test_a_different_event_at_a_taken_sequence_raises_concurrency_conflict(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        journal.append(stored(complaint_id, 1))
        intruder = stored(complaint_id, 1, data=b"another writer's event")

        with pytest.raises(ConcurrencyConflict) as raised:
            journal.append(intruder)

        assert raised.value.complaint_id == complaint_id
        assert raised.value.sequence == 1
        assert find(journal, intruder.complaint_id, intruder.event_id) is None
        assert len(journal.stream(complaint_id)) == 1

    def test_the_same_sequence_of_another_complaint_is_no_conflict(self, journal: Journal) -> None:
        one, other = stored(new_complaint_id(), 1), stored(new_complaint_id(), 1)

        journal.append(one)
        journal.append(other)

        assert find(journal, one.complaint_id, one.event_id) == one
        assert find(journal, other.complaint_id, other.event_id) == other

    def test_head_is_zero_for_a_complaint_without_events(self, journal: Journal) -> None:
        assert head(journal, new_complaint_id()) == 0

    def test_head_is_the_highest_sequence_of_the_complaint(self, journal: Journal) -> None:
        complaint_id, other = new_complaint_id(), new_complaint_id()
        for sequence in (1, 2, 3):
            journal.append(stored(complaint_id, sequence))
        journal.append(stored(other, 1))

        assert head(journal, complaint_id) == 3
        assert head(journal, other) == 1

    def test_stream_returns_only_the_complaints_events_in_sequence_order(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        third, first, second = stored(complaint_id, 3), stored(complaint_id, 1), stored(complaint_id, 2)
        for event in (third, first, second):
            journal.append(event)
        journal.append(stored(new_complaint_id(), 1))

        assert journal.stream(complaint_id) == [first, second, third]

    def test_stream_of_an_unknown_complaint_is_empty(self, journal: Journal) -> None:
        assert journal.stream(new_complaint_id()) == []

    def test_a_new_event_is_unpublished_until_marked_published(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        event = stored(complaint_id, 1)
        journal.append(event)

        pending_before = [e.event_id for e in journal.unpublished() if e.complaint_id == complaint_id]
        journal.mark_published([event])
        pending_after = [e.event_id for e in journal.unpublished() if e.complaint_id == complaint_id]

        assert pending_before == [event.event_id]
        assert pending_after == []
        marked = find(journal, event.complaint_id, event.event_id)
        assert marked is not None
        assert marked.published is True
        assert marked.data == event.data

    def test_a_batch_of_marks_across_complaints_publishes_exactly_those_events(self, journal: Journal) -> None:
        a, b = new_complaint_id(), new_complaint_id()
        events = [stored(a, 1), stored(a, 2), stored(b, 1), stored(b, 2)]
        for event in events:
            journal.append(event)

        journal.mark_published([events[0], events[2], events[3]])
        journal.mark_published([])  # a round with nothing acknowledged

        assert [
            (p.event.complaint_id, p.event.sequence) for p in journal.pending() if p.event.complaint_id in (a, b)
        ] == [(a, 2)]
        assert [journal.is_published(c, n) for c, n in ((a, 1), (a, 2), (b, 1), (b, 2))] == [True, False, True, True]

    def test_unpublished_lists_a_complaints_pending_events_in_sequence_order(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        events = [stored(complaint_id, sequence) for sequence in (1, 2, 3)]
        for event in events:
            journal.append(event)
        journal.mark_published([events[1]])

        pending = [e for e in journal.unpublished() if e.complaint_id == complaint_id]

        assert [e.sequence for e in pending] == [1, 3]
        assert all(e.published is False for e in pending)

    def test_an_event_appended_as_published_is_not_pending(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        journal.append(stored(complaint_id, 1, published=True))

        assert [e for e in journal.unpublished() if e.complaint_id == complaint_id] == []

    def test_unpublished_honours_the_limit(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        for sequence in (1, 2, 3):
            journal.append(stored(complaint_id, sequence))

        assert len(journal.unpublished(limit=2)) == 2

    # --- the outbox ------------------------------------------------------------------------------------------

    def test_an_appended_event_is_pending_in_the_outbox_until_published(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        event = stored(complaint_id, 1)
        journal.append(event)

        before = [p.event for p in journal.pending() if p.event.complaint_id == complaint_id]
        journal.mark_published([event])
        after = [p.event for p in journal.pending() if p.event.complaint_id == complaint_id]

        assert before == [event]
        assert after == []
        assert journal.is_published(complaint_id, 1) is True

    def test_pending_is_in_complaint_then_sequence_order_with_the_append_time(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        for sequence in (3, 1, 2):  # appended out of order (another writer's sequence 3 can land first)
            journal.append(stored(complaint_id, sequence))

        mine = [p for p in journal.pending(limit=100_000) if p.event.complaint_id == complaint_id]

        assert [p.event.sequence for p in mine] == [1, 2, 3]
        assert all(p.appended_at.tzinfo is not None for p in mine)

    def test_an_event_appended_as_published_is_not_in_the_outbox(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        journal.append(stored(complaint_id, 1, published=True))

        assert [p for p in journal.pending(limit=100_000) if p.event.complaint_id == complaint_id] == []

    def test_a_retried_append_does_not_add_a_second_outbox_entry(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        event = stored(complaint_id, 1)
        journal.append(event)
        journal.append(event)

        assert len([p for p in journal.pending(limit=100_000) if p.event.complaint_id == complaint_id]) == 1

    def test_ensure_pending_queues_an_unpublished_event_once_and_never_a_published_one(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        first, second = stored(complaint_id, 1), stored(complaint_id, 2)
        journal.append(first)
        journal.append(second)
        journal.mark_published([first])

        queued = [journal.ensure_pending(complaint_id, 1), journal.ensure_pending(complaint_id, 2)]
        queued.append(journal.ensure_pending(complaint_id, 3))  # an empty position: nothing to queue
        self.lose_outbox_entry(journal, second)

        assert queued == [False, False, False]
        assert journal.ensure_pending(complaint_id, 2) is True  # missing from the outbox: queued again
        assert journal.ensure_pending(complaint_id, 2) is False

        mine = [p.event.sequence for p in journal.pending(limit=100_000) if p.event.complaint_id == complaint_id]
        assert mine == [2]

    def test_pending_goes_on_after_a_position_in_the_same_order(self, journal: Journal) -> None:
        a, b = sorted(new_complaint_id() for _ in range(2))
        for complaint_id, sequence in ((a, 1), (a, 2), (a, 3), (b, 1)):
            journal.append(stored(complaint_id, sequence))

        def positions(after: tuple[str, int] | None) -> list[tuple[str, int]]:
            found = [(p.event.complaint_id, p.event.sequence) for p in journal.pending(limit=100_000, after=after)]
            return [position for position in found if position[0] in (a, b)]

        assert positions((a, 1)) == [(a, 2), (a, 3), (b, 1)]
        assert positions((a, 3)) == [(b, 1)]
        assert positions((b, 1)) == []
        assert positions(None) == [(a, 1), (a, 2), (a, 3), (b, 1)]
        assert len(journal.pending(limit=2, after=(a, 1))) == 2

    def test_repair_outbox_queues_only_unpublished_events_the_outbox_lacks(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        events = [stored(complaint_id, sequence) for sequence in (1, 2, 3, 4)]
        for event in events:
            journal.append(event)
        journal.mark_published([events[0]])
        for event in events:  # what writers that died between their two inserts leave
            self.lose_outbox_entry(journal, event)
        journal.append(stored(new_complaint_id(), 1))  # pending as it should be: left alone

        repaired = journal.repair_outbox()

        mine = [p.event.sequence for p in journal.pending(limit=100_000) if p.event.complaint_id == complaint_id]
        assert (repaired, mine) == (3, [2, 3, 4])
        assert journal.repair_outbox() == 0

    def lose_outbox_entry(self, journal: Journal, event: StoredEvent) -> None:
        """What a writer that died between the journal insert and the outbox insert leaves: each adapter's test
        class says how to take an entry out of its outbox."""
        raise NotImplementedError

    def test_is_published_of_an_empty_position_is_none(self, journal: Journal) -> None:
        complaint_id = new_complaint_id()
        journal.append(stored(complaint_id, 1))

        assert journal.is_published(complaint_id, 1) is False
        assert journal.is_published(complaint_id, 2) is None
