"""A named lease in the store: at most one live holder at a time (for work only one process should do at once).

A holder takes the lease when it is free, expired or already its own, and keeps it by taking it again before it
expires. A lease bounds how long two holders can overlap (a stalled holder that wakes after expiry); work guarded
by it must stay safe if that happens (the relay's is: a twice-published event is deduplicated by its event_id).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from suara_kit.mongo import MongoDatabase


class Lease(ABC):
    @abstractmethod
    def acquire(self, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Take or extend the lease for `owner` until now + ttl. False when another owner holds it unexpired."""

    @abstractmethod
    def release(self, owner: str) -> None:
        """Give the lease up (if `owner` holds it), so another holder need not wait for it to expire."""


class InMemoryLease(Lease):
    def __init__(self) -> None:
        self._holder: tuple[str, datetime] | None = None
        self._lock = threading.Lock()

    def acquire(self, owner: str, now: datetime, ttl: timedelta) -> bool:
        with self._lock:
            if self._holder is not None and self._holder[0] != owner and self._holder[1] > now:
                return False
            self._holder = (owner, now + ttl)
            return True

    def release(self, owner: str) -> None:
        with self._lock:
            if self._holder is not None and self._holder[0] == owner:
                self._holder = None


class MongoLease(Lease):
    """One document per lease name, `_id` = the name: taking it is an insert or a conditional update."""

    def __init__(self, database: MongoDatabase, name: str, collection: str = "leases") -> None:
        self._leases = database[collection]
        self._name = name

    def acquire(self, owner: str, now: datetime, ttl: timedelta) -> bool:
        holder = {"owner": owner, "expires_at": now + ttl}
        # Renewing (the common case) is one conditional update; only a lease never taken needs the insert.
        taken = self._leases.update_one(
            {"_id": self._name, "$or": [{"owner": owner}, {"expires_at": {"$lte": now}}]}, {"$set": holder}
        )
        if taken.matched_count == 1:
            return True
        try:
            self._leases.insert_one({"_id": self._name, **holder})
            return True
        except DuplicateKeyError:
            return False  # another owner holds it (or took it first just now)

    def release(self, owner: str) -> None:
        self._leases.delete_one({"_id": self._name, "owner": owner})
