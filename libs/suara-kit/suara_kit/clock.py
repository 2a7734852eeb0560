"""What time it is for the services: real UTC time, or (only when settings say so) real time plus an offset kept in
the store, so a simulation can make working days pass for every service at once (docs/decisions/0026-test-clock.md).

    clock = service_clock(mode_from_env(env), database)     # in a composition root
    now = clock()                                           # an aware UTC datetime
    advance(database, timedelta(days=3))                    # the simulation, never a service

SUARA_TEST_CLOCK unset, empty or "off" gives the system clock; "store" reads the offset (in seconds) from the one
document {_id: "offset"} of collection `test_clock`, at most once per `cache_seconds` (200 ms by default), and adds
it to real time. The offset only moves forward, so every service's clock stays monotonic. Production never sets
SUARA_TEST_CLOCK; a service on the test clock says so in its log at start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from suara_kit.settings import Env, InvalidSetting

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
COLLECTION = "test_clock"
OFFSET_ID = "offset"
MODES = ("off", "store")
SETTING = "SUARA_TEST_CLOCK"


def system_clock() -> datetime:
    return datetime.now(UTC)


def mode_from_env(env: Env | None = None) -> str:
    """SUARA_TEST_CLOCK: "off" (the default) or "store"; anything else fails fast naming the variable."""
    mode = (env or Env()).text(SETTING, "off").lower()
    if mode not in MODES:
        raise InvalidSetting(SETTING, mode, " or ".join(f'"{m}"' for m in MODES))
    return mode


class OffsetCollection(Protocol):
    """The part of a pymongo Collection the test clock uses (the unit tests give a dict-backed one)."""

    def find_one(self, filter: Mapping[str, Any]) -> Mapping[str, Any] | None: ...

    def update_one(self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False) -> Any: ...


class Database(Protocol):
    def __getitem__(self, name: str) -> Any: ...


class StoreTestClock:
    """Real UTC time plus the store's offset, re-read at most every `cache_seconds`. If the store cannot be read,
    the last offset read stays in force (a test clock must not stop a service; it only delays the jump)."""

    def __init__(
        self,
        offsets: OffsetCollection,
        *,
        cache_seconds: float = 0.2,
        real: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._offsets = offsets
        self._cache_seconds = cache_seconds
        self._real = real
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._read_at: float | None = None

    def offset(self) -> timedelta:
        with self._lock:
            moment = self._monotonic()
            if self._read_at is None or moment - self._read_at >= self._cache_seconds:
                try:
                    self._offset = read_offset(self._offsets)
                except Exception as error:  # any store trouble: keep the last offset, say so
                    kind = type(error).__name__
                    log.warning("test clock: offset unreadable (%s: %s); keeping %s", kind, error, self._offset)
                self._read_at = moment
            return self._offset

    def __call__(self) -> datetime:
        return self._real() + self.offset()


def read_offset(offsets: OffsetCollection) -> timedelta:
    document = offsets.find_one({"_id": OFFSET_ID})
    seconds = document.get("seconds", 0) if document else 0
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError(f"test_clock offset must be a number of seconds >= 0, got {seconds!r}")
    return timedelta(seconds=seconds)


def advance(database: Database, by: timedelta) -> timedelta:
    """Move the shared test clock forward by `by` (never back: the services' clocks must stay monotonic); the new
    offset. Services see it within their cache time."""
    if by < timedelta(0):
        raise ValueError(f"the test clock only moves forward; asked to move by {by}")
    offsets = database[COLLECTION]
    offsets.update_one({"_id": OFFSET_ID}, {"$inc": {"seconds": by.total_seconds()}}, upsert=True)
    return read_offset(offsets)


def reset(database: Database) -> None:
    """Back to offset 0: only between runs (a test session's end), when no service acts on the moved time."""
    database[COLLECTION].update_one({"_id": OFFSET_ID}, {"$set": {"seconds": 0}}, upsert=True)


def service_clock(mode: str, database: Database, service: str) -> Clock:
    """The clock a service decides with: the system clock, or the store's test clock (logged loudly)."""
    if mode == "off":
        return system_clock
    if mode == "store":
        log.warning(
            "%s runs on the TEST clock (%s=store): now = real time + the offset in %s",
            service,
            SETTING,
            COLLECTION,
        )
        return StoreTestClock(database[COLLECTION])
    raise InvalidSetting(SETTING, mode, " or ".join(f'"{m}"' for m in MODES))
