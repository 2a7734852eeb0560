"""The audit log: append-only storage of chain entries, one per event, at a unique position."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bson.binary import Binary
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from suara_audit.domain.chain import ChainEntry, Received, RecordIndex, next_entry
from suara_kit.mongo import MongoDatabase


class AuditLog(ABC):
    @abstractmethod
    def append(self, received: Received, appended_at: datetime) -> ChainEntry | None:
        """Chain the record at the end of the log. Returns None, writing nothing, if its event is already logged."""

    @abstractmethod
    def entries(self, from_position: int = 1, limit: int = 0) -> Iterator[ChainEntry]: ...

    @abstractmethod
    def head(self) -> ChainEntry | None: ...


class InMemoryAuditLog(AuditLog):
    def __init__(self) -> None:
        self._entries: list[ChainEntry] = []
        self._event_ids: set[str] = set()
        self._lock = threading.Lock()

    def append(self, received: Received, appended_at: datetime) -> ChainEntry | None:
        with self._lock:
            if received.index.event_id in self._event_ids:
                return None
            entry = next_entry(self._entries[-1] if self._entries else None, received, appended_at)
            self._entries.append(entry)
            self._event_ids.add(received.index.event_id)
            return entry

    def entries(self, from_position: int = 1, limit: int = 0) -> Iterator[ChainEntry]:
        selected = self._entries[from_position - 1 :]
        return iter(selected[:limit] if limit else selected)

    def head(self) -> ChainEntry | None:
        return self._entries[-1] if self._entries else None


class MongoAuditLog(AuditLog):
    """Entries keyed by position (`_id` = the position as 12 digits); a second collection maps each event id to
    its position.

    Every hot-path read is an `_id` lookup (FerretDB's SQLite backend serves nothing else from an index):
    "is this event logged?" reads `<collection>_events` by event id, and the head is found from a hint
    (rewritten every HINT_EVERY appends) by probing the positions after it. No transactions are needed: a
    second writer that races for a position loses on the unique `_id` and retries at the new head, and a unique
    index on event_id stops one event from taking two positions."""

    HINT_EVERY = 50

    def __init__(self, database: MongoDatabase, collection: str = "audit_log", max_attempts: int = 20) -> None:
        self._log = database[collection]
        self._by_event = database[f"{collection}_events"]
        self._hint = database[f"{collection}_head"]
        self._max_attempts = max_attempts
        self._head: ChainEntry | None = None
        self._lock = threading.Lock()

    def ensure_indexes(self) -> None:
        self._log.create_index([("event_id", ASCENDING)], unique=True, name="one_entry_per_event")

    def append(self, received: Received, appended_at: datetime) -> ChainEntry | None:
        event_id = received.index.event_id
        with self._lock:
            for _ in range(self._max_attempts):
                if self._by_event.find_one({"_id": event_id}) is not None:
                    return None
                entry = next_entry(self._head or self.head(), received, appended_at)
                try:
                    self._log.insert_one(_document(entry))
                except DuplicateKeyError:
                    if self._log.find_one({"_id": _key(entry.position)}) is None:
                        # The position was free, so the event itself is already in the log: an earlier run
                        # died between writing the entry and its index document. Mend the index, add nothing.
                        self._mend_index(event_id)
                        return None
                    self._head = None  # another writer took the position: look again
                    continue
                self._by_event.update_one({"_id": event_id}, {"$set": {"position": entry.position}}, upsert=True)
                self._head = entry
                if entry.position % self.HINT_EVERY == 0:
                    self._hint.update_one({"_id": "head"}, {"$max": {"position": entry.position}}, upsert=True)
                return entry
            raise RuntimeError(f"could not append event {event_id} after {self._max_attempts} attempts")

    def _mend_index(self, event_id: str) -> None:
        # Rare (crash recovery only), so a query that scans on FerretDB is acceptable here.
        logged = self._log.find_one({"event_id": event_id}, {"position": 1})
        if logged is not None:
            self._by_event.update_one({"_id": event_id}, {"$set": {"position": logged["position"]}}, upsert=True)

    def entries(self, from_position: int = 1, limit: int = 0) -> Iterator[ChainEntry]:
        cursor = self._log.find({"position": {"$gte": from_position}}).sort("position", ASCENDING)
        if limit:
            cursor = cursor.limit(limit)
        return (_entry(d) for d in cursor)

    def head(self) -> ChainEntry | None:
        hint = self._hint.find_one({"_id": "head"})
        position = int(hint["position"]) if hint else 0
        last = self._log.find_one({"_id": _key(position)}) if position else None
        while (following := self._log.find_one({"_id": _key(position + 1)})) is not None:
            last, position = following, position + 1
        return _entry(last) if last else None


def _key(position: int) -> str:
    # A fixed-width string, not the number: FerretDB looks up only string and ObjectId _ids through its index.
    return f"{position:012d}"


def _document(entry: ChainEntry) -> dict[str, Any]:
    return {
        "_id": _key(entry.position),
        "position": entry.position,
        "event_id": entry.index.event_id,
        "complaint_id": entry.index.complaint_id,
        "sequence": entry.index.sequence,
        "event_type": entry.index.event_type,
        "record": Binary(entry.record),
        "previous_hash": Binary(entry.previous_hash),
        "entry_hash": Binary(entry.entry_hash),
        "appended_at": entry.appended_at,
        "topic": entry.topic,
        "partition": entry.partition,
        "offset": entry.offset,
    }


def _entry(d: dict[str, Any]) -> ChainEntry:
    return ChainEntry(
        position=int(d["position"]),
        record=bytes(d["record"]),
        previous_hash=bytes(d["previous_hash"]),
        entry_hash=bytes(d["entry_hash"]),
        index=RecordIndex(str(d["event_id"]), str(d["complaint_id"]), int(d["sequence"]), str(d["event_type"])),
        appended_at=d["appended_at"],
        topic=str(d["topic"]),
        partition=int(d["partition"]),
        offset=int(d["offset"]),
    )
