"""The erasable store of disclosures (salt and value behind each personal-data commitment).

A disclosure is kept under (index, field, commitment), never replaced: a writer that stalled past its lease's expiry
may still write disclosures for indices the new lease holder has filled, and those must not take the holder's place.
The export ships only the disclosures whose commitment is the one in the leaf at their index (handlers.py).

Erasing a complaint's data deletes its disclosures and remembers the complaint, so disclosures of its later events
are never stored either. Leaves are never touched: their commitments stay, and every export keeps verifying.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from bson.binary import Binary
from pymongo import ASCENDING

from suara_audit.adapters.mongo_writes import insert_missing
from suara_audit.domain.leaf import Disclosure
from suara_kit.mongo import MongoDatabase


class DisclosureStore(ABC):
    @abstractmethod
    def put(self, disclosures: Sequence[Disclosure]) -> None:
        """Keep these beside any kept for the same (index, field) with another commitment (left by an append that
        never completed, or by a writer that lost its lease): none replaces another. The same disclosure again is
        kept once; those of erased complaints are dropped. Called before the leaves are written."""

    @abstractmethod
    def between(self, start: int, end: int) -> Iterator[Disclosure]:
        """Every disclosure kept for indices start .. end-1 (whether or not its commitment is the leaf's), by index
        then field."""

    @abstractmethod
    def erase(self, complaint_id: str, now: datetime) -> int:
        """Delete every disclosure of the complaint, now and in future. Returns how many were deleted."""

    @abstractmethod
    def discard_from(self, index: int) -> None:
        """Delete the disclosures of indices `index` and above: left by appends whose leaves were never written
        (the sequencer calls this after recovering the head at `index`, before it appends again)."""


class InMemoryDisclosureStore(DisclosureStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[int, str, str], Disclosure] = {}
        self._erased: set[str] = set()

    def put(self, disclosures: Sequence[Disclosure]) -> None:
        with self._lock:
            for d in disclosures:
                if d.complaint_id not in self._erased:
                    self._by_key.setdefault((d.index, d.field, d.commitment()), d)

    def between(self, start: int, end: int) -> Iterator[Disclosure]:
        return iter([self._by_key[k] for k in sorted(self._by_key) if start <= k[0] < end])

    def erase(self, complaint_id: str, now: datetime) -> int:
        with self._lock:
            self._erased.add(complaint_id)
            doomed = [k for k, d in self._by_key.items() if d.complaint_id == complaint_id]
            for k in doomed:
                del self._by_key[k]
            return len(doomed)

    def discard_from(self, index: int) -> None:
        with self._lock:
            for k in [k for k in self._by_key if k[0] >= index]:
                del self._by_key[k]


class MongoDisclosureStore(DisclosureStore):
    """Collections `<prefix>_disclosures` (`_id` = 12-digit index "/" field "/" commitment, so `_id` order is index
    order and a range on `_id` reads an export's) and `<prefix>_erasures` (`_id` = complaint id). Erasing scans
    disclosures by complaint id: rare, and FerretDB indexes only `_id`."""

    def __init__(self, database: MongoDatabase, prefix: str = "audit") -> None:
        self._disclosures = database[f"{prefix}_disclosures"]
        self._erasures = database[f"{prefix}_erasures"]

    def put(self, disclosures: Sequence[Disclosure]) -> None:
        complaints = list({d.complaint_id for d in disclosures})
        if not complaints:
            return
        # A scan on FerretDB, but of the erasures only: a handful of documents, not the log.
        erased = {str(e["_id"]) for e in self._erasures.find({"_id": {"$in": complaints}}, {"_id": 1})}
        # Insert only: an `_id` taken already holds this very disclosure (the commitment binds salt and value).
        insert_missing(self._disclosures, [_document(d) for d in disclosures if d.complaint_id not in erased])

    def between(self, start: int, end: int) -> Iterator[Disclosure]:
        query = {"_id": {"$gte": f"{start:012d}/", "$lt": f"{end:012d}/"}}
        return (_disclosure(d) for d in self._disclosures.find(query).sort("_id", ASCENDING))

    def erase(self, complaint_id: str, now: datetime) -> int:
        # Tombstone first, so put() drops this complaint's disclosures from now on.
        self._erasures.update_one({"_id": complaint_id}, {"$setOnInsert": {"erased_at": now}}, upsert=True)
        return int(self._disclosures.delete_many({"complaint_id": complaint_id}).deleted_count)

    def discard_from(self, index: int) -> None:
        # A ranged delete on _id (a scan on FerretDB), run only when a sequencer takes over or recovers.
        self._disclosures.delete_many({"_id": {"$gte": f"{index:012d}/"}})


def _document(d: Disclosure) -> dict[str, Any]:
    return {
        "_id": f"{d.index:012d}/{d.field}/{d.commitment()}",
        "index": d.index,
        "field": d.field,
        "salt": Binary(d.salt),
        "value": d.value,
        "complaint_id": d.complaint_id,
    }


def _disclosure(d: Mapping[str, Any]) -> Disclosure:
    return Disclosure(int(d["index"]), str(d["field"]), bytes(d["salt"]), str(d["value"]), str(d["complaint_id"]))
