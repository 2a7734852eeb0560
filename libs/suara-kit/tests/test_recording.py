"""EventRecorder: the next sequence, exactly once, published after it is in the journal."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from journal_contract import stored

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.journal import ConcurrencyConflict, InMemoryJournal, StoredEvent
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.recording import EventRecorder, TooManyConflicts


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
def recorder(journal, publisher) -> EventRecorder:
    return EventRecorder(journal, publisher)


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
        EventRecorder(journal, publisher, max_attempts=3).record(event.complaint_id, event.event_id, Builder(event))

    assert journal.attempts == 3
    assert publisher.published == []


def test_a_build_that_makes_another_event_id_is_refused(recorder, journal, publisher, event_factory) -> None:
    event = event_factory()

    with pytest.raises(ValueError, match="build"):
        recorder.record(event.complaint_id, str(uuid.uuid4()), Builder(event))

    assert journal.stream(event.complaint_id) == []
    assert publisher.published == []


def test_recording_again_publishes_what_a_crashed_writer_left_unpublished(
    recorder, journal, publisher, event_factory
) -> None:
    event = event_factory()
    data = codec.encode(event)
    journal.append(StoredEvent(event.event_id, event.complaint_id, 1, event.event_type, data))  # then it died

    recorded = recorder.record(event.complaint_id, event.event_id, Builder(event))

    assert recorded.created is False
    assert recorded.data == data
    assert [p.value for p in publisher.published] == [data]
    assert journal.unpublished() == []


def test_relay_publishes_appended_but_unpublished_events_exactly_once(
    recorder, journal, publisher, event_factory
) -> None:
    first, second = event_factory(sequence=1), event_factory(sequence=1)
    pending = [
        StoredEvent(e.event_id, e.complaint_id, 1, e.event_type, codec.encode(e), published=False)
        for e in (first, second)
    ]
    for entry in pending:
        journal.append(entry)
    journal.append(stored(str(uuid.uuid4()), 1, published=True))

    relayed = recorder.relay()
    relayed_again = recorder.relay()

    assert relayed == 2
    assert relayed_again == 0
    assert sorted((p.key, p.value) for p in publisher.published) == sorted((e.complaint_id, e.data) for e in pending)
    assert journal.unpublished() == []
