"""Signed checkpoints, one per tree size: a second, different root for a size is refused at the store too."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from bson.binary import Binary
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from suara_audit.domain.note import Checkpoint, ForkRefused
from suara_kit.mongo import MongoDatabase


class CheckpointStore(ABC):
    @abstractmethod
    def add(self, checkpoint: Checkpoint, signed_at: datetime) -> Checkpoint:
        """Store it; if this size is stored already, return the stored one when the roots agree and raise
        ForkRefused when they do not."""

    @abstractmethod
    def at(self, size: int) -> Checkpoint | None: ...

    @abstractmethod
    def latest(self) -> Checkpoint | None: ...

    @abstractmethod
    def between(self, first_size: int, last_size: int) -> Iterator[Checkpoint]:
        """Checkpoints with first_size <= size <= last_size, by size."""


def _check(existing: Checkpoint, new: Checkpoint) -> Checkpoint:
    if existing.root != new.root:
        raise ForkRefused(f"a checkpoint with another root is stored for tree size {new.size}")
    return existing


class InMemoryCheckpointStore(CheckpointStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_size: dict[int, Checkpoint] = {}

    def add(self, checkpoint: Checkpoint, signed_at: datetime) -> Checkpoint:
        with self._lock:
            existing = self._by_size.setdefault(checkpoint.size, checkpoint)
            return _check(existing, checkpoint)

    def at(self, size: int) -> Checkpoint | None:
        return self._by_size.get(size)

    def latest(self) -> Checkpoint | None:
        return self._by_size[max(self._by_size)] if self._by_size else None

    def between(self, first_size: int, last_size: int) -> Iterator[Checkpoint]:
        return iter([self._by_size[s] for s in sorted(self._by_size) if first_size <= s <= last_size])


def checkpoint_id(size: int) -> str:
    return f"{size:012d}"


class MongoCheckpointStore(CheckpointStore):
    """Collection `<prefix>_checkpoints`, `_id` = the tree size as 12 digits."""

    def __init__(self, database: MongoDatabase, prefix: str = "audit") -> None:
        self._checkpoints = database[f"{prefix}_checkpoints"]

    def add(self, checkpoint: Checkpoint, signed_at: datetime) -> Checkpoint:
        try:
            self._checkpoints.insert_one(
                {
                    "_id": checkpoint_id(checkpoint.size),
                    "size": checkpoint.size,
                    "root": Binary(checkpoint.root),
                    "note": Binary(checkpoint.note),
                    "signed_at": signed_at,
                }
            )
        except DuplicateKeyError:
            existing = self.at(checkpoint.size)
            if existing is None:
                raise
            return _check(existing, checkpoint)
        return checkpoint

    def at(self, size: int) -> Checkpoint | None:
        d = self._checkpoints.find_one({"_id": checkpoint_id(size)})
        return _checkpoint(d) if d else None

    def latest(self) -> Checkpoint | None:
        d = self._checkpoints.find_one({}, sort=[("_id", DESCENDING)])
        return _checkpoint(d) if d else None

    def between(self, first_size: int, last_size: int) -> Iterator[Checkpoint]:
        query = {"_id": {"$gte": checkpoint_id(first_size), "$lte": checkpoint_id(last_size)}}
        return (_checkpoint(d) for d in self._checkpoints.find(query).sort("_id", ASCENDING))


def _checkpoint(d: Mapping[str, Any]) -> Checkpoint:
    return Checkpoint(int(d["size"]), bytes(d["root"]), bytes(d["note"]))
