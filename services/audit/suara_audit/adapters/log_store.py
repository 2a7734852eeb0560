"""The log's storage: leaves by index, subtree hashes by (level, index), event keys, and the sequencer's lease
with the head it vouches for.

Written for the MongoDB protocol as FerretDB serves it: every document is keyed by `_id` (the only index FerretDB's
SQLite backend serves), with fixed-width strings so `_id` order is index order.

Safety against forks does not rest on the lease alone: a leaf is inserted at `_id` = its index, so two writers
can never both write leaf n (the second gets LeafTaken and must recover), and the head advances only while the
writer still owns the lease document.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson.binary import Binary
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from suara_audit.adapters.mongo_writes import insert_missing, only_duplicates
from suara_audit.domain.leaf import Leaf
from suara_audit.domain.merkle import Frontier, NewNode, NodeKey
from suara_kit.mongo import MongoDatabase

LEASE_ID = "sequencer"


class LeaseLost(RuntimeError):
    """This writer no longer owns the sequencer lease: another instance took over. Stop appending."""


class LeafTaken(RuntimeError):
    """A leaf index this writer meant to fill is already taken: another writer appended. Recover before going on."""


@dataclass(frozen=True)
class Head:
    """What the sequencer last made durable: the tree's frontier and the newest recorded_at (microseconds)."""

    frontier: Frontier
    recorded_at_us: int = 0

    @property
    def size(self) -> int:
        return self.frontier.size


@dataclass(frozen=True)
class Lease:
    owner: str
    expires_at: datetime


class LogStore(ABC):
    @abstractmethod
    def acquire(self, owner: str, now: datetime, ttl: timedelta) -> Head | None:
        """Take (or keep) the sequencer lease if it is free, expired or ours. Returns the stored head, or None
        when another owner holds an unexpired lease."""

    @abstractmethod
    def renew(self, owner: str, now: datetime, ttl: timedelta) -> None:
        """Extend our lease; raises LeaseLost if it is no longer ours."""

    @abstractmethod
    def release(self, owner: str, now: datetime) -> None:
        """Let another instance take over at once (on a clean shutdown)."""

    @abstractmethod
    def lease(self) -> Lease | None: ...

    @abstractmethod
    def head(self) -> Head:
        """The head the last sequencer made durable (the empty tree before the first append)."""

    @abstractmethod
    def append(self, owner: str, leaves: Sequence[Leaf], nodes: Sequence[NewNode], head: Head) -> None:
        """Write the leaves (LeafTaken if any index is taken: then nothing else is written), their nodes and event
        keys, then advance the head while we own the lease (LeaseLost otherwise)."""

    @abstractmethod
    def advance(self, owner: str, head: Head) -> None:
        """Record the new head while we own the lease (LeaseLost otherwise). Never moves the head back."""

    @abstractmethod
    def repair(self, leaves: Sequence[Leaf], nodes: Sequence[NewNode]) -> None:
        """Write nodes and event keys of leaves already stored (after a crash between append's writes);
        what already exists is left as it is."""

    @abstractmethod
    def logged(self, keys: Iterable[str]) -> set[str]:
        """Which of these event keys already have a leaf."""

    @abstractmethod
    def index_of(self, key: str) -> int | None: ...

    @abstractmethod
    def leaves(self, start: int, end: int | None = None) -> Iterator[Leaf]:
        """Leaves start, start+1, ... up to end (exclusive) or the first index with no leaf."""

    @abstractmethod
    def leaf(self, index: int) -> Leaf | None:
        """The leaf at `index`, or None (one key lookup: receipts and access checks read single leaves)."""

    @abstractmethod
    def nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored subtree hashes among `keys` (missing ones are simply absent)."""


class InMemoryLogStore(LogStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lease: Lease | None = None
        self._head = Head(Frontier.empty())
        self._leaves: dict[int, Leaf] = {}
        self._nodes: dict[NodeKey, bytes] = {}
        self._keys: dict[str, int] = {}

    def acquire(self, owner: str, now: datetime, ttl: timedelta) -> Head | None:
        with self._lock:
            if self._lease and self._lease.owner != owner and self._lease.expires_at > now:
                return None
            self._lease = Lease(owner, now + ttl)
            return self._head

    def renew(self, owner: str, now: datetime, ttl: timedelta) -> None:
        with self._lock:
            if not self._lease or self._lease.owner != owner:
                raise LeaseLost(f"the sequencer lease is no longer held by {owner}")
            self._lease = Lease(owner, now + ttl)

    def release(self, owner: str, now: datetime) -> None:
        with self._lock:
            if self._lease and self._lease.owner == owner:
                self._lease = Lease(owner, now)

    def lease(self) -> Lease | None:
        return self._lease

    def head(self) -> Head:
        return self._head

    def append(self, owner: str, leaves: Sequence[Leaf], nodes: Sequence[NewNode], head: Head) -> None:
        with self._lock:
            for leaf in leaves:
                if leaf.index in self._leaves:
                    raise LeafTaken(f"leaf {leaf.index} is already written")
                self._leaves[leaf.index] = leaf
            self._put(leaves, nodes)
        self.advance(owner, head)

    def advance(self, owner: str, head: Head) -> None:
        with self._lock:
            if not self._lease or self._lease.owner != owner or head.size < self._head.size:
                raise LeaseLost(f"the sequencer lease is no longer held by {owner}")
            self._head = head

    def repair(self, leaves: Sequence[Leaf], nodes: Sequence[NewNode]) -> None:
        with self._lock:
            self._put(leaves, nodes)

    def _put(self, leaves: Sequence[Leaf], nodes: Sequence[NewNode]) -> None:
        for node in nodes:
            self._nodes.setdefault((node.level, node.index), node.hash)
        for leaf in leaves:
            self._keys.setdefault(leaf.key, leaf.index)

    def logged(self, keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k in self._keys}

    def index_of(self, key: str) -> int | None:
        return self._keys.get(key)

    def leaves(self, start: int, end: int | None = None) -> Iterator[Leaf]:
        index = start
        while (end is None or index < end) and index in self._leaves:
            yield self._leaves[index]
            index += 1

    def leaf(self, index: int) -> Leaf | None:
        return self._leaves.get(index)

    def nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        return {k: self._nodes[k] for k in keys if k in self._nodes}


def leaf_id(index: int) -> str:
    # Fixed width, so _id order is index order (FerretDB serves only _id lookups from an index).
    return f"{index:012d}"


def node_id(key: NodeKey) -> str:
    return f"{key[0]:02d}-{key[1]:012d}"


class MongoLogStore(LogStore):
    """Collections `<prefix>_log` (the leaves), `<prefix>_nodes`, `<prefix>_keys` and `<prefix>_sequencer`."""

    def __init__(self, database: MongoDatabase, prefix: str = "audit") -> None:
        self._leaves = database[f"{prefix}_log"]
        self._nodes = database[f"{prefix}_nodes"]
        self._keys = database[f"{prefix}_keys"]
        self._sequencer = database[f"{prefix}_sequencer"]

    def acquire(self, owner: str, now: datetime, ttl: timedelta) -> Head | None:
        taken = self._sequencer.find_one_and_update(
            {"_id": LEASE_ID, "$or": [{"owner": owner}, {"expires_at": {"$lte": now}}]},
            {"$set": {"owner": owner, "expires_at": now + ttl}},
            return_document=ReturnDocument.AFTER,
        )
        if taken is not None:
            return _head(taken)
        if self._sequencer.find_one({"_id": LEASE_ID}) is not None:
            return None  # held by another, unexpired
        try:
            self._sequencer.insert_one(
                {"_id": LEASE_ID, "owner": owner, "expires_at": now + ttl, "size": 0, "frontier": [], "recorded_us": 0}
            )
        except DuplicateKeyError:
            return None  # another instance created it first
        return Head(Frontier.empty())

    def renew(self, owner: str, now: datetime, ttl: timedelta) -> None:
        renewed = self._sequencer.update_one({"_id": LEASE_ID, "owner": owner}, {"$set": {"expires_at": now + ttl}})
        if renewed.matched_count == 0:
            raise LeaseLost(f"the sequencer lease is no longer held by {owner}")

    def release(self, owner: str, now: datetime) -> None:
        self._sequencer.update_one({"_id": LEASE_ID, "owner": owner}, {"$set": {"expires_at": now}})

    def lease(self) -> Lease | None:
        d = self._sequencer.find_one({"_id": LEASE_ID})
        return Lease(str(d["owner"]), d["expires_at"]) if d else None

    def head(self) -> Head:
        d = self._sequencer.find_one({"_id": LEASE_ID})
        return _head(d) if d else Head(Frontier.empty())

    def append(self, owner: str, leaves: Sequence[Leaf], nodes: Sequence[NewNode], head: Head) -> None:
        if leaves:
            try:
                self._leaves.insert_many([_leaf_document(leaf) for leaf in leaves], ordered=True)
            except BulkWriteError as error:
                if not only_duplicates(error):
                    raise
                written = error.details.get("nInserted", 0)
                raise LeafTaken(f"leaf {leaves[written].index} is already written") from None
        self.repair(leaves, nodes)
        self.advance(owner, head)

    def advance(self, owner: str, head: Head) -> None:
        frontier = [Binary(h) for h in head.frontier.hashes]
        advanced = self._sequencer.update_one(
            {"_id": LEASE_ID, "owner": owner, "size": {"$lte": head.size}},
            {"$set": {"size": head.size, "frontier": frontier, "recorded_us": head.recorded_at_us}},
        )
        if advanced.matched_count == 0:
            raise LeaseLost(f"the sequencer lease is no longer held by {owner}")

    def repair(self, leaves: Sequence[Leaf], nodes: Sequence[NewNode]) -> None:
        insert_missing(self._nodes, [{"_id": node_id((n.level, n.index)), "h": Binary(n.hash)} for n in nodes])
        insert_missing(self._keys, [{"_id": leaf.key, "index": leaf.index} for leaf in leaves])

    def logged(self, keys: Iterable[str]) -> set[str]:
        # One _id lookup per key: FerretDB serves `$in` by scanning the collection (3 s at 50,000 documents),
        # an equality on _id from its index (about 1 ms).
        return {k for k in dict.fromkeys(keys) if self._keys.find_one({"_id": k}, {"_id": 1}) is not None}

    def index_of(self, key: str) -> int | None:
        d = self._keys.find_one({"_id": key})
        return int(d["index"]) if d else None

    def leaves(self, start: int, end: int | None = None) -> Iterator[Leaf]:
        if end is None:
            # The tail after a crash (a batch at most): probe _id by _id, each an index lookup.
            index = start
            while (d := self._leaves.find_one({"_id": leaf_id(index)})) is not None:
                yield _leaf(d)
                index += 1
            return
        expected = start
        # One ranged query: FerretDB scans the collection once for it, which an export can afford.
        for d in self._leaves.find({"_id": {"$gte": leaf_id(start), "$lt": leaf_id(end)}}).sort("_id", ASCENDING):
            leaf = _leaf(d)
            if leaf.index != expected:
                return
            yield leaf
            expected += 1

    def leaf(self, index: int) -> Leaf | None:
        d = self._leaves.find_one({"_id": leaf_id(index)})
        return _leaf(d) if d is not None else None

    def nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        found = {}
        for key in dict.fromkeys(keys):  # _id lookups: see logged()
            d = self._nodes.find_one({"_id": node_id(key)})
            if d is not None:
                found[key] = bytes(d["h"])
        return found


def _head(d: Mapping[str, Any]) -> Head:
    return Head(Frontier(int(d["size"]), tuple(bytes(h) for h in d["frontier"])), int(d.get("recorded_us", 0)))


def _leaf_document(leaf: Leaf) -> dict[str, Any]:
    return {
        "_id": leaf_id(leaf.index),
        "data": Binary(leaf.data),
        "key": leaf.key,
        "event_id": leaf.event_id,
        "event_type": leaf.event_type,
        "complaint_id": leaf.complaint_id,
        "recorded_at": leaf.recorded_at,
    }


def _leaf(d: Mapping[str, Any]) -> Leaf:
    return Leaf(
        index=int(d["_id"]),
        data=bytes(d["data"]),
        key=str(d["key"]),
        event_id=str(d["event_id"]),
        event_type=str(d["event_type"]),
        complaint_id=str(d["complaint_id"]),
        recorded_at=d["recorded_at"],
    )
