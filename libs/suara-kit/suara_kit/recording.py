"""Recording an event: claim the next sequence in the journal, publish, mark published. Idempotent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.journal import ConcurrencyConflict, Journal, StoredEvent
from suara_kit.publishing import EventPublisher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    event: Event
    data: bytes
    # False when this event_id had been recorded before (a retry or a redelivery): nothing new was written.
    created: bool


class TooManyConflicts(RuntimeError):
    pass


class EventRecorder:
    def __init__(self, journal: Journal, publisher: EventPublisher, max_attempts: int = 8) -> None:
        self._journal = journal
        self._publisher = publisher
        self._max_attempts = max_attempts

    def record(self, complaint_id: str, event_id: str, build: Callable[[int], Event]) -> Recorded:
        """Record the event that `build(sequence)` makes, at the end of the complaint's stream.

        `event_id` must be derived from the cause (see events.derived_id), so that a redelivered cause finds
        the event it already recorded and only makes sure it was published."""
        for _ in range(self._max_attempts):
            stream = self._journal.stream(complaint_id)  # one read answers both "recorded already?" and "head?"
            existing = next((e for e in stream if e.event_id == event_id), None)
            if existing is not None:
                self._ensure_published(existing)
                return Recorded(codec.decode(existing.data), existing.data, created=False)
            event = build(stream[-1].sequence + 1 if stream else 1)
            if event.event_id != event_id or event.complaint_id != complaint_id:
                raise ValueError("build() must make the event with the event_id and complaint_id given")
            data = codec.encode(event)
            try:
                stored = self._journal.append(
                    StoredEvent(event.event_id, complaint_id, event.sequence, event.event_type, data)
                )
            except ConcurrencyConflict as conflict:
                log.info(
                    "sequence taken, retrying at the new head",
                    extra={"complaint_id": complaint_id, "event_id": event_id, "sequence": conflict.sequence},
                )
                continue
            self._ensure_published(stored)
            created = stored.data == data
            return Recorded(codec.decode(stored.data), stored.data, created=created)
        raise TooManyConflicts(f"complaint {complaint_id}: gave up after {self._max_attempts} sequence conflicts")

    def relay(self, limit: int = 1000) -> int:
        """Publish events that were appended but not published (the writer died in between). Returns how many."""
        pending = self._journal.unpublished(limit)
        for stored in pending:
            self._ensure_published(stored)
        return len(pending)

    def _ensure_published(self, stored: StoredEvent) -> None:
        if stored.published:
            return
        self._publisher.publish(stored.complaint_id, stored.data)
        self._journal.mark_published(stored)
