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
    def head(self, complaint_id: str) -> int:
        """The highest sequence of the complaint's stream, 0 when it has none."""

    @abstractmethod
    def get(self, event_id: str) -> StoredEvent | None: ...

    @abstractmethod
    def stream(self, complaint_id: str) -> list[StoredEvent]:
        """The complaint's events in sequence order."""

    @abstractmethod
    def mark_published(self, event_id: str) -> None: ...

    @abstractmethod
    def unpublished(self, limit: int = 1000) -> list[StoredEvent]: ...


class InMemoryJournal(Journal):
    def __init__(self) -> None:
        self._by_id: dict[str, StoredEvent] = {}
        self._slots: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def append(self, event: StoredEvent) -> StoredEvent:
        with self._lock:
            existing = self._by_id.get(event.event_id)
            if existing is not None:
                return existing
            if (event.complaint_id, event.sequence) in self._slots:
                raise ConcurrencyConflict(event.complaint_id, event.sequence)
            self._by_id[event.event_id] = event
            self._slots[(event.complaint_id, event.sequence)] = event.event_id
            return event

    def head(self, complaint_id: str) -> int:
        with self._lock:
            return max((seq for (cid, seq) in self._slots if cid == complaint_id), default=0)

    def get(self, event_id: str) -> StoredEvent | None:
        return self._by_id.get(event_id)

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        with self._lock:
            return sorted((e for e in self._by_id.values() if e.complaint_id == complaint_id), key=lambda e: e.sequence)

    def mark_published(self, event_id: str) -> None:
        with self._lock:
            self._by_id[event_id] = replace(self._by_id[event_id], published=True)

    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        with self._lock:
            return [e for e in self._by_id.values() if not e.published][:limit]


class MongoJournal(Journal):
    """The journal in a MongoDB-protocol store (MongoDB or FerretDB): one document per event."""

    def __init__(self, database: MongoDatabase, collection: str = "journal") -> None:
        self._events = database[collection]

    def ensure_indexes(self) -> None:
        self._events.create_index(
            [("complaint_id", ASCENDING), ("sequence", ASCENDING)], unique=True, name="stream_position"
        )
        self._events.create_index([("published", ASCENDING)], name="published")

    def append(self, event: StoredEvent) -> StoredEvent:
        document = {
            "_id": event.event_id,
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
            existing = self.get(event.event_id)
            if existing is not None:
                return existing
            raise ConcurrencyConflict(event.complaint_id, event.sequence) from None
        return event

    def head(self, complaint_id: str) -> int:
        last = self._events.find_one({"complaint_id": complaint_id}, {"sequence": 1}, sort=[("sequence", -1)])
        return int(last["sequence"]) if last else 0

    def get(self, event_id: str) -> StoredEvent | None:
        document = self._events.find_one({"_id": event_id})
        return _stored(document) if document else None

    def stream(self, complaint_id: str) -> list[StoredEvent]:
        return [_stored(d) for d in self._events.find({"complaint_id": complaint_id}).sort("sequence", ASCENDING)]

    def mark_published(self, event_id: str) -> None:
        self._events.update_one({"_id": event_id}, {"$set": {"published": True}})

    def unpublished(self, limit: int = 1000) -> list[StoredEvent]:
        cursor = self._events.find({"published": False}).sort([("complaint_id", 1), ("sequence", 1)]).limit(limit)
        return [_stored(d) for d in cursor]


def _stored(document: dict[str, object]) -> StoredEvent:
    return StoredEvent(
        event_id=str(document["_id"]),
        complaint_id=str(document["complaint_id"]),
        sequence=int(document["sequence"]),  # type: ignore[call-overload]  # BSON int
        event_type=str(document["event_type"]),
        data=bytes(document["data"]),  # type: ignore[call-overload]  # BSON Binary
        published=bool(document["published"]),
    )
