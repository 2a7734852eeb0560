"""The journal: per-complaint event streams with optimistic concurrency, and an outbox of what is not yet published.

Every event is appended here; only the relay (suara_kit.relay) publishes it to Kafka. The unique (complaint_id,
sequence) key is what guarantees that two writers can never both write sequence n of one complaint; the unique
event_id is what makes a retried append a no-op. Kafka stays the log every consumer and projection reads.

The outbox is a small collection holding one entry per appended-but-unpublished event, keyed like the journal
("<complaint>:<sequence>"), so the relay finds its work by reading a collection that is empty when it keeps up,
instead of filtering the whole journal on a flag (which FerretDB answers by a scan). Without multi-document
transactions an append is two inserts (event, then outbox entry); a writer that dies between them leaves an event
that is unpublished but not pending. `ensure_pending` repairs that when the cause is retried (the writer finds the
event it recorded before), and the relay's sweep (`repair_outbox`) repairs the rest.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bson.binary import Binary
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from suara_kit.mongo import MongoDatabase


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    complaint_id: str
    sequence: int
    event_type: str
    data: bytes
    published: bool = False


@dataclass(frozen=True)
class PendingEvent:
    """An outbox entry: an appended event the relay has not yet seen acknowledged by the broker."""

    event: StoredEvent
    appended_at: datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConcurrencyConflict(Exception):
    """Another event already holds this sequence number of the complaint's stream."""

    def __init__(self, complaint_id: str, sequence: int) -> None:
        super().__init__(f"complaint {complaint_id}: sequence {sequence} is already taken")
        self.complaint_id = complaint_id
        self.sequence = sequence


class Journal(ABC):
    @abstractmethod
    def append(self, event: StoredEvent) -> StoredEvent:
        """Store the event. Returns the stored event: the existing one when this event_id was appended before.
        Raises ConcurrencyConflict when a different event holds (complaint_id, sequence)."""

    @abstractmethod
    def stream(self, complaint_id: str) -> list[StoredEvent]:
        """The complaint's events in sequence order (its head is the last one's sequence)."""

    @abstractmethod
    def mark_published(self, events: Sequence[StoredEvent]) -> None:
        """The broker acknowledged these events: flag each published and take it out of the outbox."""

    @abstractmethod
    def pending(self, limit: int = 500, after: tuple[str, int] | None = None) -> list[PendingEvent]:
        """The outbox, in (complaint, sequence) order, from just after position `after` (complaint id, sequence) or
        from its start: cheap, and empty when the relay keeps up."""

    @abstractmethod
    def ensure_pending(self, complaint_id: str, sequence: int) -> bool:
        """Put an unpublished event (back) in the outbox; a no-op when it is there already or was published.
        Whether it was missing and is queued now."""

    @abstractmethod
    def is_published(self, complaint_id: str, sequence: int) -> bool | None:
        """Whether that position's event was published; None when the position is empty."""

    @abstractmethod
    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        """Every unpublished event, found by the journal's flag, not the outbox (a sweep: may scan the journal)."""

    @abstractmethod
    def repair_outbox(self, limit: int = 10_000) -> int:
        """Queue every unpublished event the outbox lacks (a writer died between its two inserts), up to `limit`
        of them; how many were queued. Reads the flags and the outbox's keys, so a long outbox costs two reads."""


class InMemoryJournal(Journal):
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._slots: dict[tuple[str, int], StoredEvent] = {}
        self._outbox: dict[tuple[str, int], PendingEvent] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def append(self, event: StoredEvent) -> StoredEvent:
        with self._lock:
            existing = next((e for e in self._slots.values() if e.event_id == event.event_id), None)
            if existing is not None:
                return existing
            if (event.complaint_id, event.sequence) in self._slots:
                raise ConcurrencyConflict(event.complaint_id, event.sequence)
            self._slots[(event.complaint_id, event.sequence)] = event
            if not event.published:
                self._outbox[(event.complaint_id, event.sequence)] = PendingEvent(event, self._clock())
            return event

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        with self._lock:
            return sorted((e for e in self._slots.values() if e.complaint_id == complaint_id), key=lambda e: e.sequence)

    def mark_published(self, events: Sequence[StoredEvent]) -> None:
        with self._lock:
            for event in events:
                key = (event.complaint_id, event.sequence)
                self._slots[key] = replace(self._slots[key], published=True)
                self._outbox.pop(key, None)

    def pending(self, limit: int = 500, after: tuple[str, int] | None = None) -> list[PendingEvent]:
        with self._lock:
            keys = sorted(key for key in self._outbox if after is None or key > after)
            return [self._outbox[key] for key in keys[:limit]]

    def ensure_pending(self, complaint_id: str, sequence: int) -> bool:
        with self._lock:
            key = (complaint_id, sequence)
            stored = self._slots.get(key)
            if stored is not None and not stored.published and key not in self._outbox:
                self._outbox[key] = PendingEvent(stored, self._clock())
                return True
            return False

    def is_published(self, complaint_id: str, sequence: int) -> bool | None:
        with self._lock:
            stored = self._slots.get((complaint_id, sequence))
            return None if stored is None else stored.published

    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        with self._lock:
            return sorted(
                (e for e in self._slots.values() if not e.published), key=lambda e: (e.complaint_id, e.sequence)
            )[:limit]

    def repair_outbox(self, limit: int = 10_000) -> int:
        with self._lock:
            missing = sorted(k for k, e in self._slots.items() if not e.published and k not in self._outbox)[:limit]
            for key in missing:
                self._outbox[key] = PendingEvent(self._slots[key], self._clock())
            return len(missing)

    def lose_outbox_entry(self, complaint_id: str, sequence: int) -> None:
        """Test aid: what a writer that died between its two inserts leaves behind."""
        with self._lock:
            self._outbox.pop((complaint_id, sequence), None)


class MongoJournal(Journal):
    """The journal in a MongoDB-protocol store: one document per event, keyed by its stream position.

    `_id` is "<complaint_id>:<sequence, 10 digits>", so claiming a position is one insert that either wins or
    fails on the primary key, and reading a stream is a few `_id` lookups. That matters beyond elegance:
    FerretDB's SQLite backend answers only `_id` equality from an index and scans the collection for any other
    filter or sort; MongoDB answers both shapes from its index. A unique index on event_id keeps one event
    from landing at two positions."""

    def __init__(
        self,
        database: MongoDatabase,
        collection: str = "journal",
        outbox: str = "journal_outbox",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._events = database[collection]
        self._outbox = database[outbox]
        self._clock = clock

    def ensure_indexes(self) -> None:
        self._events.create_index([("event_id", ASCENDING)], unique=True, name="one_position_per_event")
        self._events.create_index([("published", ASCENDING)], name="published")

    def append(self, event: StoredEvent) -> StoredEvent:
        try:
            self._events.insert_one(_document(event) | {"appended_at": self._clock()})
        except DuplicateKeyError:
            # Either this very event was appended before (a retry: fine), or another event holds the slot.
            existing = next((e for e in self.stream(event.complaint_id) if e.event_id == event.event_id), None)
            if existing is not None:
                return existing
            raise ConcurrencyConflict(event.complaint_id, event.sequence) from None
        if not event.published:
            self._add_to_outbox(event)
        return event

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        # Streams are gap-free, so walking 1, 2, 3 … until a position is missing finds them all.
        events: list[StoredEvent] = []
        while (document := self._events.find_one({"_id": _slot(complaint_id, len(events) + 1)})) is not None:
            events.append(_stored(document))
        return events

    def mark_published(self, events: Sequence[StoredEvent]) -> None:
        # One update and one delete per event, each an `_id` equality. Not bulk_write: FerretDB 1.24 on PostgreSQL
        # hung for good on multi-statement updates from several relays at once (decision 0110), so the batch is a
        # loop here; on MongoDB a bulk write would serve.
        for event in events:
            slot = _slot(event.complaint_id, event.sequence)
            # published_at beside appended_at lets the benchmark and operators read the relay's lag per event.
            self._events.update_one({"_id": slot}, {"$set": {"published": True, "published_at": self._clock()}})
            self._outbox.delete_one({"_id": slot})

    def pending(self, limit: int = 500, after: tuple[str, int] | None = None) -> list[PendingEvent]:
        selector = {} if after is None else {"_id": {"$gt": _slot(*after)}}  # slots sort as (complaint, sequence)
        cursor = self._outbox.find(selector).sort("_id", ASCENDING).limit(limit)
        return [PendingEvent(_stored(d), _utc(d["appended_at"])) for d in cursor]

    def ensure_pending(self, complaint_id: str, sequence: int) -> bool:
        document = self._events.find_one({"_id": _slot(complaint_id, sequence)})
        return document is not None and not document["published"] and self._add_to_outbox(_stored(document))

    def is_published(self, complaint_id: str, sequence: int) -> bool | None:
        document = self._events.find_one({"_id": _slot(complaint_id, sequence)}, {"published": True})
        return None if document is None else bool(document["published"])

    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        """For operators and tests: the relay repairs the outbox with `repair_outbox`, which reads only keys."""
        cursor = self._events.find({"published": False}).sort("_id", ASCENDING).limit(limit)
        return [_stored(d) for d in cursor]

    def repair_outbox(self, limit: int = 10_000) -> int:
        unpublished = {d["_id"] for d in self._events.find({"published": False}, {"_id": True})}
        queued = {d["_id"] for d in self._outbox.find({}, {"_id": True})}
        repaired = 0
        for slot in sorted(unpublished - queued)[:limit]:
            document = self._events.find_one({"_id": slot})
            if document is not None and not document["published"]:  # published meanwhile: nothing to do
                repaired += self._add_to_outbox(_stored(document))
        return repaired

    def _add_to_outbox(self, event: StoredEvent) -> bool:
        """Whether it was added (False: already pending)."""
        try:
            self._outbox.insert_one(_document(event) | {"appended_at": self._clock()})
        except DuplicateKeyError:
            return False
        return True


def _slot(complaint_id: str, sequence: int) -> str:
    return f"{complaint_id}:{sequence:010d}"


def _document(event: StoredEvent) -> dict[str, Any]:
    return {
        "_id": _slot(event.complaint_id, event.sequence),
        "event_id": event.event_id,
        "complaint_id": event.complaint_id,
        "sequence": event.sequence,
        "event_type": event.event_type,
        "data": Binary(event.data),
        "published": event.published,
    }


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # the store keeps UTC without a zone


def _stored(document: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        event_id=str(document["event_id"]),
        complaint_id=str(document["complaint_id"]),
        sequence=int(document["sequence"]),
        event_type=str(document["event_type"]),
        data=bytes(document["data"]),
        published=bool(document["published"]),
    )
