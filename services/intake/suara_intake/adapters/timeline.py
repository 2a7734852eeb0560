"""The complaint timeline: a read model of every complaint's events, projected from the events topic.

It is disposable: `suara-intake rebuild-timeline` drops it and replays the topic from the beginning."""

from __future__ import annotations

import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson.binary import Binary

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


def _stored(event: Event, data: bytes) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at,
        "data": Binary(data),
    }


class MongoTimeline(Timeline):
    """One document per complaint (`_id` = complaint id) holding its events by sequence, and a second collection
    mapping tracking numbers to complaint ids: both reads of a trace are `_id` lookups (all FerretDB's SQLite
    backend serves from an index; cheap on MongoDB too). Applying an event sets `events.<sequence>`, so applying
    it twice changes nothing."""

    def __init__(self, database: MongoDatabase, collection: str = "timeline") -> None:
        self._complaints = database[collection]
        self._tracking = database[f"{collection}_tracking"]

    def ensure_indexes(self) -> None:
        """Nothing beyond `_id` is queried."""

    def apply(self, event: Event, data: bytes) -> None:
        fields: dict[str, object] = {f"events.{event.sequence}": _stored(event, data)}
        tracking = _tracking(event)
        if tracking:
            self._tracking.update_one({"_id": tracking}, {"$set": {"complaint_id": event.complaint_id}}, upsert=True)
            fields["tracking_number"] = tracking
        self._complaints.update_one({"_id": event.complaint_id}, {"$set": fields}, upsert=True)

    def rebuild(self, complaint_id: str, stream: Sequence[tuple[Event, bytes]]) -> None:
        """A replay's write (suara_kit.replay.Rebuilds): the document applying each event in turn leaves, at once."""
        document: dict[str, Any] = {"events": {}}
        for event, data in stream:
            document["events"][str(event.sequence)] = _stored(event, data)
            tracking = _tracking(event)
            if tracking:
                self._tracking.update_one({"_id": tracking}, {"$set": {"complaint_id": complaint_id}}, upsert=True)
                document["tracking_number"] = tracking
        self._complaints.replace_one({"_id": complaint_id}, document, upsert=True)

    def find(self, reference: str) -> TimelineView | None:
        if _is_uuid(reference):
            complaint_id = str(uuid.UUID(reference))
        elif TRACKING_PATTERN.match(reference.upper()):
            found = self._tracking.find_one({"_id": reference.upper()})
            if found is None:
                return None
            complaint_id = str(found["complaint_id"])
        else:
            return None
        document = self._complaints.find_one({"_id": complaint_id})
        if document is None:
            return None
        entries = tuple(
            TimelineEntry(str(e["event_id"]), int(sequence), str(e["event_type"]), e["occurred_at"], bytes(e["data"]))
            for sequence, e in sorted(document.get("events", {}).items(), key=lambda item: int(item[0]))
        )
        return TimelineView(complaint_id, str(document.get("tracking_number", "")), entries)

    def clear(self) -> None:
        self._complaints.delete_many({})
        self._tracking.delete_many({})
