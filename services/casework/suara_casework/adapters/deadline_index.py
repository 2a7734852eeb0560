"""The deadline index: per complaint, its open deadlines and when the next one fires. A projection of the events
topic (consumer group suara-casework-deadlines, docs/decisions/0025) that the deadline clock asks what is due.

Each complaint's entry is derived from its whole stream, folded by the aggregate's own rules
(suara_kit.complaint_stream.fold_stream, suara_complaint.deadlines): the stream must be folded whole because the
walking skeleton's ComplaintSubmitted takes its priority from the routing that follows it. So the index keeps the
stream it has received (the envelopes' bytes by sequence, one `_id` lookup to read) beside the small entry the clock
queries. Applying an event twice, or an old event again, changes nothing: the entry is always that of the longest
gap-free prefix of the stream received.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bson.binary import Binary
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from suara_complaint import (
    EvolveError,
    OpenDeadline,
    Policy,
    Stage,
    WorkingCalendar,
)
from suara_complaint import deadlines as schedule
from suara_kit import codec
from suara_kit.complaint_stream import lifecycle_events
from suara_kit.events import Event
from suara_kit.kafka import PoisonMessage
from suara_kit.mongo import MongoDatabase

T = TypeVar("T")


@dataclass(frozen=True)
class IndexedComplaint:
    """One complaint's entry: the version it was derived at (events folded), its status, its open deadlines (also
    the paused ones) and the earliest firing not yet recorded (None: nothing will fire until an event changes it)."""

    complaint_id: str
    version: int
    status: str
    next_firing_at: datetime | None
    deadlines: tuple[OpenDeadline, ...]


def entry_for(
    complaint_id: str, stream: Sequence[Event], policy: Policy, calendar: WorkingCalendar
) -> IndexedComplaint:
    """The entry of a complaint whose stream (in sequence order, gap-free from 1) is `stream`. Pure.

    Raises PoisonMessage when the aggregate cannot fold the stream (the same stream would refuse every command)."""
    folded = schedule.DeadlineIndex(policy, calendar)
    try:
        folded.apply_all(lifecycle_events(stream, policy))
    except EvolveError as error:  # a corrupt or out-of-order stream
        raise PoisonMessage(f"complaint {complaint_id}: its stream cannot be folded: {error}") from error
    state = folded.state(complaint_id)
    if state is None:  # nothing the aggregate knows yet (a stream that does not start with a submission)
        return IndexedComplaint(complaint_id, len(stream), "", None, ())
    return IndexedComplaint(
        complaint_id,
        len(stream),
        str(state.status),
        schedule.next_firing_at(state, policy, calendar),
        tuple(folded.open_deadlines()),
    )


def gap_free(by_sequence: Mapping[int, T]) -> list[T]:
    """The items (envelopes) of sequences 1, 2, ... up to the first one missing."""
    prefix = []
    sequence = 1
    while sequence in by_sequence:
        prefix.append(by_sequence[sequence])
        sequence += 1
    return prefix


class DeadlineIndex(ABC):
    """The port. `apply` is the projection (suara_kit.replay's Applies); `due` is what the clock asks."""

    @abstractmethod
    def apply(self, event: Event, data: bytes) -> None:
        """Add the event to its complaint's stream and derive the entry again. Idempotent."""

    @abstractmethod
    def get(self, complaint_id: str) -> IndexedComplaint | None: ...

    @abstractmethod
    def due(self, now: datetime) -> Iterator[IndexedComplaint]:
        """Every complaint whose next firing is at or before `now`, earliest first."""

    @abstractmethod
    def clear(self) -> None: ...


class InMemoryDeadlineIndex(DeadlineIndex):
    def __init__(self, policy: Policy, calendar: WorkingCalendar) -> None:
        self._policy, self._calendar = policy, calendar
        self._streams: dict[str, dict[int, bytes]] = {}
        self._entries: dict[str, IndexedComplaint] = {}
        self._lock = threading.Lock()

    def apply(self, event: Event, data: bytes) -> None:
        with self._lock:
            stream = self._streams.setdefault(event.complaint_id, {})
            stream.setdefault(event.sequence, data)
            events = [codec.decode(d) for d in gap_free(stream)]
            self._entries[event.complaint_id] = entry_for(event.complaint_id, events, self._policy, self._calendar)

    def get(self, complaint_id: str) -> IndexedComplaint | None:
        with self._lock:
            return self._entries.get(complaint_id)

    def due(self, now: datetime) -> Iterator[IndexedComplaint]:
        with self._lock:
            due = [e for e in self._entries.values() if e.next_firing_at is not None and e.next_firing_at <= now]
        return iter(sorted(due, key=lambda e: (e.next_firing_at, e.complaint_id)))

    def clear(self) -> None:
        with self._lock:
            self._streams.clear()
            self._entries.clear()


class MongoDeadlineIndex(DeadlineIndex):
    """Two collections, both keyed by complaint id: `<collection>` holds the entries (small documents: version,
    status, next_firing_at, deadlines), which the clock queries by `next_firing_at`; `<collection>_streams` holds
    each complaint's envelopes by sequence, read and written by `_id` only. Kept apart so that a store that scans
    to answer a range (FerretDB) decodes the small entries, not every complaint's stream.

    Writes: the event goes into the stream document (`$set events.<sequence>`, idempotent) and the updated document
    comes back in the same call; the entry is derived from it and written only over an entry of a lower or equal
    version, so of two consumers briefly sharing a partition during a rebalance the one that saw more wins."""

    def __init__(
        self, database: MongoDatabase, policy: Policy, calendar: WorkingCalendar, collection: str = "deadline_index"
    ) -> None:
        self._policy, self._calendar = policy, calendar
        self._entries = database[collection]
        self._streams = database[f"{collection}_streams"]

    def ensure_indexes(self) -> None:
        """The clock's query is a range on next_firing_at, sorted by it (a production MongoDB serves both from this
        index; FerretDB scans the small entries)."""
        self._entries.create_index([("next_firing_at", ASCENDING)], name="next_firing_at")

    def apply(self, event: Event, data: bytes) -> None:
        stream = self._streams.find_one_and_update(
            {"_id": event.complaint_id},
            {"$set": {f"events.{event.sequence}": Binary(data)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert stream is not None  # upserted
        by_sequence = {int(sequence): bytes(raw) for sequence, raw in stream.get("events", {}).items()}
        events = [codec.decode(d) for d in gap_free(by_sequence)]
        entry = entry_for(event.complaint_id, events, self._policy, self._calendar)
        # DuplicateKeyError: an entry of a higher version is there already (another consumer got further): keep it.
        with contextlib.suppress(DuplicateKeyError):
            self._entries.update_one(
                {
                    "_id": entry.complaint_id,
                    "$or": [{"version": {"$exists": False}}, {"version": {"$lte": entry.version}}],
                },
                {"$set": _document(entry)},
                upsert=True,
            )

    def rebuild(self, complaint_id: str, stream: Sequence[tuple[Event, bytes]]) -> None:
        """A replay's write (suara_kit.replay.Rebuilds): the stream and the entry of its gap-free prefix, each
        written once. Raises PoisonMessage, having written nothing, when the aggregate cannot fold the stream: the
        replay then applies it event by event, as the live consumer took it."""
        by_sequence: dict[int, tuple[Event, bytes]] = {}
        for event, data in stream:
            by_sequence[event.sequence] = (event, data)  # as `$set events.<sequence>` leaves it
        prefix = [event for event, _ in gap_free(by_sequence)]
        entry = entry_for(complaint_id, prefix, self._policy, self._calendar)
        events = {str(sequence): Binary(data) for sequence, (_, data) in by_sequence.items()}
        self._streams.replace_one({"_id": complaint_id}, {"events": events}, upsert=True)
        self._entries.replace_one({"_id": complaint_id}, _document(entry), upsert=True)

    def get(self, complaint_id: str) -> IndexedComplaint | None:
        document = self._entries.find_one({"_id": complaint_id})
        return _entry(document) if document is not None else None

    def due(self, now: datetime) -> Iterator[IndexedComplaint]:
        for document in self._entries.find({"next_firing_at": {"$lte": now}}).sort("next_firing_at", ASCENDING):
            yield _entry(document)

    def clear(self) -> None:
        self._entries.delete_many({})
        self._streams.delete_many({})


def _document(entry: IndexedComplaint) -> dict[str, Any]:
    return {
        "version": entry.version,
        "status": entry.status,
        "next_firing_at": entry.next_firing_at,
        "deadlines": [
            {
                "deadline_id": d.deadline_id,
                "stage": str(d.stage),
                "opd": d.opd,
                "due_at": d.due_at,
                "next_firing_at": d.next_firing_at,
            }
            for d in entry.deadlines
        ],
    }


def _entry(document: Mapping[str, Any]) -> IndexedComplaint:
    complaint_id = str(document["_id"])
    return IndexedComplaint(
        complaint_id=complaint_id,
        version=int(document["version"]),
        status=str(document["status"]),
        next_firing_at=document.get("next_firing_at"),
        deadlines=tuple(
            OpenDeadline(
                complaint_id,
                str(d["deadline_id"]),
                Stage(d["stage"]),
                str(d["opd"]),
                d.get("due_at"),
                d.get("next_firing_at"),
            )
            for d in document.get("deadlines", [])
        ),
    )
