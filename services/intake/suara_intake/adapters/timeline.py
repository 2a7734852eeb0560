"""The complaint timeline: a read model of every complaint's events, projected from the events topic.

It is disposable: `suara-intake rebuild-timeline` drops it and replays the topic from the beginning."""

from __future__ import annotations

import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from bson.binary import Binary
from pymongo import ASCENDING

from suara_intake.domain.model import TRACKING_PATTERN
from suara_kit.events import ComplaintSubmitted, Event
from suara_kit.mongo import MongoDatabase


@dataclass(frozen=True)
class TimelineEntry:
    event_id: str
    sequence: int
    event_type: str
    occurred_at: datetime
    data: bytes  # the envelope exactly as it was on the topic


@dataclass(frozen=True)
class TimelineView:
    complaint_id: str
    tracking_number: str
    entries: tuple[TimelineEntry, ...]


class Timeline(ABC):
    @abstractmethod
    def apply(self, event: Event, data: bytes) -> None:
        """Idempotent: applying the same event twice leaves one entry."""

    @abstractmethod
    def find(self, reference: str) -> TimelineView | None:
        """By complaint id (UUID) or tracking number."""

    @abstractmethod
    def clear(self) -> None: ...


def _tracking(event: Event) -> str | None:
    return event.payload.tracking_number if isinstance(event.payload, ComplaintSubmitted) else None


def _is_uuid(reference: str) -> bool:
    try:
        uuid.UUID(reference)
    except ValueError:
        return False
    return True


class InMemoryTimeline(Timeline):
    def __init__(self) -> None:
        self._entries: dict[str, dict[str, TimelineEntry]] = {}
        self._tracking: dict[str, str] = {}
        self._lock = threading.Lock()

    def apply(self, event: Event, data: bytes) -> None:
        with self._lock:
            entry = TimelineEntry(event.event_id, event.sequence, event.event_type, event.occurred_at, data)
            self._entries.setdefault(event.complaint_id, {})[event.event_id] = entry
            tracking = _tracking(event)
            if tracking:
                self._tracking[tracking] = event.complaint_id

    def find(self, reference: str) -> TimelineView | None:
        with self._lock:
            complaint_id = str(uuid.UUID(reference)) if _is_uuid(reference) else self._tracking.get(reference.upper())
            if complaint_id is None or complaint_id not in self._entries:
                return None
            tracking = next((t for t, c in self._tracking.items() if c == complaint_id), "")
            entries = sorted(self._entries[complaint_id].values(), key=lambda e: e.sequence)
            return TimelineView(complaint_id, tracking, tuple(entries))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._tracking.clear()


class MongoTimeline(Timeline):
    def __init__(self, database: MongoDatabase, collection: str = "timeline") -> None:
        self._events = database[collection]

    def ensure_indexes(self) -> None:
        self._events.create_index([("complaint_id", ASCENDING), ("sequence", ASCENDING)], name="by_complaint")
        self._events.create_index([("tracking_number", ASCENDING)], name="by_tracking_number")

    def apply(self, event: Event, data: bytes) -> None:
        document: dict[str, object] = {
            "complaint_id": event.complaint_id,
            "sequence": event.sequence,
            "event_type": event.event_type,
            "occurred_at": event.occurred_at,
            "data": Binary(data),
        }
        tracking = _tracking(event)
        if tracking:
            document["tracking_number"] = tracking
        self._events.update_one({"_id": event.event_id}, {"$setOnInsert": document}, upsert=True)

    def find(self, reference: str) -> TimelineView | None:
        if _is_uuid(reference):
            complaint_id = str(uuid.UUID(reference))
        elif TRACKING_PATTERN.match(reference.upper()):
            first = self._events.find_one({"tracking_number": reference.upper()}, {"complaint_id": 1})
            if first is None:
                return None
            complaint_id = str(first["complaint_id"])
        else:
            return None
        documents = list(self._events.find({"complaint_id": complaint_id}).sort("sequence", ASCENDING))
        if not documents:
            return None
        tracking = next((str(d["tracking_number"]) for d in documents if d.get("tracking_number")), "")
        entries = tuple(
            TimelineEntry(str(d["_id"]), int(d["sequence"]), str(d["event_type"]), d["occurred_at"], bytes(d["data"]))
            for d in documents
        )
        return TimelineView(complaint_id, tracking, entries)

    def clear(self) -> None:
        self._events.delete_many({})
