"""Recording an event as given: claim the next sequence in the journal; the relay publishes it. Idempotent.

This bypasses the aggregate: services never use it (they change a complaint only through
suara_kit.complaints.ComplaintStore). It remains for seeding a journal with history in tests, and `Recorded` is
how a writer reports what it recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.journal import ConcurrencyConflict, Journal, StoredEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    event: Event
    data: bytes
    # False when this event_id had been recorded before (a retry or a redelivery): nothing new was written.
    created: bool


class TooManyConflicts(RuntimeError):
    pass


def _nothing() -> None:
    pass


class EventRecorder:
    """Appends to the journal only. `appended` is called after each new append: the process's relay's nudge
    (suara_kit.relay), so an event is published at once when this process holds the relay lease."""

    def __init__(self, journal: Journal, appended: Callable[[], None] = _nothing, max_attempts: int = 8) -> None:
        self._journal = journal
        self._appended = appended
        self._max_attempts = max_attempts

    def record(self, complaint_id: str, event_id: str, build: Callable[[int], Event]) -> Recorded:
        """Record the event that `build(sequence)` makes, at the end of the complaint's stream.

        `event_id` must be derived from the cause (see events.derived_id), so that a redelivered cause finds
        the event it already recorded and only makes sure it is on its way to the topic."""
        for _ in range(self._max_attempts):
            stream = self._journal.stream(complaint_id)  # one read answers both "recorded already?" and "head?"
            existing = next((e for e in stream if e.event_id == event_id), None)
            if existing is not None:
                if not existing.published:  # perhaps lost from the outbox when the first attempt died
                    self._journal.ensure_pending(complaint_id, existing.sequence)
                    self._appended()
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
            self._appended()
            created = stored.data == data
            return Recorded(codec.decode(stored.data), stored.data, created=created)
        raise TooManyConflicts(f"complaint {complaint_id}: gave up after {self._max_attempts} sequence conflicts")
