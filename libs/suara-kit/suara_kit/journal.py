"""The journal: per-complaint event streams with optimistic concurrency, and a record of what was published.

Every event is appended here before it is published to Kafka. The unique (complaint_id, sequence) key is what
guarantees that two writers can never both write sequence n of one complaint; the unique event_id is what makes
a retried append a no-op. Kafka stays the log every consumer and projection reads; the journal is the writers'
guard and outbox (an event appended but not yet published is published again by `EventRecorder.relay`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
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
    def mark_published(self, event: StoredEvent) -> None: ...

    @abstractmethod
    def unpublished(self, limit: int = 1000) -> list[StoredEvent]: ...


class InMemoryJournal(Journal):
    def __init__(self) -> None:
        self._slots: dict[tuple[str, int], StoredEvent] = {}
        self._lock = threading.Lock()

    def append(self, event: StoredEvent) -> StoredEvent:
        with self._lock:
            existing = next((e for e in self._slots.values() if e.event_id == event.event_id), None)
            if existing is not None:
                return existing
            if (event.complaint_id, event.sequence) in self._slots:
                raise ConcurrencyConflict(event.complaint_id, event.sequence)
            self._slots[(event.complaint_id, event.sequence)] = event
            return event

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        with self._lock:
            return sorted((e for e in self._slots.values() if e.complaint_id == complaint_id), key=lambda e: e.sequence)

    def mark_published(self, event: StoredEvent) -> None:
        with self._lock:
            key = (event.complaint_id, event.sequence)
            self._slots[key] = replace(self._slots[key], published=True)

    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        with self._lock:
            return [e for e in self._slots.values() if not e.published][:limit]


class MongoJournal(Journal):
    """The journal in a MongoDB-protocol store: one document per event, keyed by its stream position.

    `_id` is "<complaint_id>:<sequence, 10 digits>", so claiming a position is one insert that either wins or
    fails on the primary key, and reading a stream is a few `_id` lookups. That matters beyond elegance:
    FerretDB's SQLite backend answers only `_id` equality from an index and scans the collection for any other
    filter or sort; MongoDB answers both shapes from its index. A unique index on event_id keeps one event
    from landing at two positions."""

    def __init__(self, database: MongoDatabase, collection: str = "journal") -> None:
        self._events = database[collection]

    def ensure_indexes(self) -> None:
        self._events.create_index([("event_id", ASCENDING)], unique=True, name="one_position_per_event")
        self._events.create_index([("published", ASCENDING)], name="published")

    def append(self, event: StoredEvent) -> StoredEvent:
        document = {
            "_id": _slot(event.complaint_id, event.sequence),
            "event_id": event.event_id,
            "complaint_id": event.complaint_id,
            "sequence": event.sequence,
            "event_type": event.event_type,
            "data": Binary(event.data),
            "published": event.published,
        }
        try:
            self._events.insert_one(document)
        except DuplicateKeyError:
            # Either this very event was appended before (a retry: fine), or another event holds the slot.
            existing = next((e for e in self.stream(event.complaint_id) if e.event_id == event.event_id), None)
            if existing is not None:
                return existing
            raise ConcurrencyConflict(event.complaint_id, event.sequence) from None
        return event

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        # Streams are gap-free, so walking 1, 2, 3 … until a position is missing finds them all.
        events: list[StoredEvent] = []
        while (document := self._events.find_one({"_id": _slot(complaint_id, len(events) + 1)})) is not None:
            events.append(_stored(document))
        return events

    def mark_published(self, event: StoredEvent) -> None:
        self._events.update_one({"_id": _slot(event.complaint_id, event.sequence)}, {"$set": {"published": True}})

    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        """Only read when a writer starts (to publish what a crashed run left behind)."""
        cursor = self._events.find({"published": False}).sort("_id", ASCENDING).limit(limit)
        return [_stored(d) for d in cursor]


def _slot(complaint_id: str, sequence: int) -> str:
    return f"{complaint_id}:{sequence:010d}"


def _stored(document: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        event_id=str(document["event_id"]),
        complaint_id=str(document["complaint_id"]),
        sequence=int(document["sequence"]),
        event_type=str(document["event_type"]),
        data=bytes(document["data"]),
        published=bool(document["published"]),
    )
