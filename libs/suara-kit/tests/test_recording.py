"""EventRecorder: the next sequence, exactly once, in the journal; the relay it nudges publishes it."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from journal_contract import stored

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.journal import ConcurrencyConflict, InMemoryJournal, StoredEvent
from suara_kit.lease import InMemoryLease
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.recording import EventRecorder, TooManyConflicts
from suara_kit.relay import Relay


class Builder:
    """build(sequence) for EventRecorder.record, remembering which sequences it was asked for."""

    def __init__(self, template: Event) -> None:
        self.template = template
        self.sequences: list[int] = []

    def __call__(self, sequence: int) -> Event:
        self.sequences.append(sequence)
        return replace(self.template, sequence=sequence)


@pytest.fixture
def journal() -> InMemoryJournal:
    return InMemoryJournal()


@pytest.fixture
def publisher() -> InMemoryEventPublisher:
    return InMemoryEventPublisher()


@pytest.fixture
def relay(journal, publisher) -> Relay:
    return Relay(journal, publisher, InMemoryLease(), "test")


@pytest.fixture
def recorder(journal, relay) -> EventRecorder:
    """Nudging runs a relay round at once, as the relay thread does when this process holds the lease."""
    return EventRecorder(journal, appended=relay.publish_round)


def prefill(journal: InMemoryJournal, complaint_id: str, count: int) -> None:
    for sequence in range(1, count + 1):
        journal.append(stored(complaint_id, sequence, published=True))


def test_records_the_event_at_the_head_plus_one(recorder, journal, publisher, event_factory) -> None:
    event = event_factory()
    prefill(journal, event.complaint_id, 2)

    recorded = recorder.record(event.complaint_id, event.event_id, Builder(event))

    assert recorded.created is True
    assert recorded.event.sequence == 3
    assert recorded.event == replace(event, sequence=3)
    assert journal.stream(event.complaint_id)[-1].sequence == 3
    assert [p.value for p in publisher.published] == [recorded.data]
    assert publisher.published[0].key == event.complaint_id
    assert codec.decode(publisher.published[0].value) == recorded.event


def test_a_recorded_event_is_marked_published(recorder, journal, event_factory) -> None:
    event = event_factory()

    recorder.record(event.complaint_id, event.event_id, Builder(event))

    (entry,) = [e for e in journal.stream(event.complaint_id) if e.event_id == event.event_id]
    assert entry is not None
    assert entry.published is True
    assert journal.unpublished() == []


def test_recording_the_same_event_id_again_creates_and_publishes_nothing(
    recorder, journal, publisher, event_factory
) -> None:
    event = event_factory()
    first = recorder.record(event.complaint_id, event.event_id, Builder(event))
    again = Builder(replace(event, producer="a redelivery"))

    second = recorder.record(event.complaint_id, event.event_id, again)

    assert second.created is False
    assert second.event == first.event
    assert second.data == first.data
    assert again.sequences == []
    assert len(publisher.published) == 1
    assert len(journal.stream(event.complaint_id)) == 1


def test_a_sequence_taken_by_a_concurrent_writer_is_retried_at_the_new_head(
    recorder, journal, publisher, event_factory
) -> None:
    event = event_factory()
    prefill(journal, event.complaint_id, 1)
    rival = stored(event.complaint_id, 2, data=b"the other writer's event", published=True)
    builder = Builder(event)

    def build_while_another_writer_takes_the_slot(sequence: int) -> Event:
        if not builder.sequences:
            journal.append(rival)  # lands between our head() and our append()
        return builder(sequence)

    recorded = recorder.record(event.complaint_id, event.event_id, build_while_another_writer_takes_the_slot)

    assert builder.sequences == [2, 3]
    assert recorded.created is True
    assert recorded.event.sequence == 3
    assert [e.event_id for e in journal.stream(event.complaint_id)][1:] == [rival.event_id, event.event_id]
    assert [codec.decode(p.value).sequence for p in publisher.published] == [3]


def test_gives_up_after_max_attempts_conflicts(publisher, event_factory) -> None:
    class AlwaysTaken(InMemoryJournal):
        def __init__(self) -> None:
            super().__init__()
            self.attempts = 0

        def append(self, event: StoredEvent) -> StoredEvent:
            self.attempts += 1
            raise ConcurrencyConflict(event.complaint_id, event.sequence)

    journal = AlwaysTaken()
    event = event_factory()

    with pytest.raises(TooManyConflicts, match=f"complaint {event.complaint_id}: gave up after 3"):
        EventRecorder(journal, max_attempts=3).record(event.complaint_id, event.event_id, Builder(event))

    assert journal.attempts == 3
    assert publisher.published == []


def test_a_build_that_makes_another_event_id_is_refused(recorder, journal, publisher, event_factory) -> None:
    event = event_factory()

    with pytest.raises(ValueError, match="build"):
        recorder.record(event.complaint_id, str(uuid.uuid4()), Builder(event))

    assert journal.stream(event.complaint_id) == []
    assert publisher.published == []


def test_recording_again_queues_and_publishes_what_a_crashed_writer_left_out_of_the_outbox(
    recorder, journal, publisher, event_factory
) -> None:
    event = event_factory()
    data = codec.encode(event)
    journal.append(StoredEvent(event.event_id, event.complaint_id, 1, event.event_type, data))
    journal.lose_outbox_entry(event.complaint_id, 1)  # the writer died between its two inserts

    recorded = recorder.record(event.complaint_id, event.event_id, Builder(event))

    assert recorded.created is False
    assert recorded.data == data
    assert [p.value for p in publisher.published] == [data]
    assert journal.unpublished() == []
