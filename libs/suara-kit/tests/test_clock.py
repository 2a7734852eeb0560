"""The test clock: off by default, real time plus the store's offset when enabled, cached, forward only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from suara_kit import clock
from suara_kit.settings import Env, InvalidSetting

REAL = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Offsets:
    """A dict-backed stand-in for the `test_clock` collection, counting reads."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.reads = 0
        self.broken = False

    def find_one(self, filter: Mapping[str, Any]) -> Mapping[str, Any] | None:
        self.reads += 1
        if self.broken:
            raise ConnectionError("store away")
        return self.documents.get(filter["_id"])

    def update_one(self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False) -> None:
        document = self.documents.setdefault(filter["_id"], {"_id": filter["_id"]})
        for field, amount in update.get("$inc", {}).items():
            document[field] = document.get(field, 0) + amount
        document.update(update.get("$set", {}))


class Database(dict[str, Offsets]):
    def __missing__(self, name: str) -> Offsets:
        self[name] = Offsets()
        return self[name]


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_clock_is_off_unless_settings_enable_it() -> None:
    assert clock.mode_from_env(Env({})) == "off"
    assert clock.mode_from_env(Env({"SUARA_TEST_CLOCK": "Store"})) == "store"
    assert clock.service_clock("off", Database(), "casework") is clock.system_clock


def test_an_unknown_mode_fails_naming_the_variable() -> None:
    with pytest.raises(InvalidSetting, match="SUARA_TEST_CLOCK"):
        clock.mode_from_env(Env({"SUARA_TEST_CLOCK": "fake"}))


def test_store_clock_is_real_time_plus_the_offset_advanced_in_the_store() -> None:
    database, ticking = Database(), Ticking()
    test_clock = clock.StoreTestClock(database[clock.COLLECTION], real=lambda: REAL, monotonic=ticking)
    assert test_clock() == REAL  # no document yet: offset 0
    assert clock.advance(database, timedelta(days=3)) == timedelta(days=3)
    assert clock.advance(database, timedelta(hours=1)) == timedelta(days=3, hours=1)
    ticking.now += 0.2
    assert test_clock() == REAL + timedelta(days=3, hours=1)


def test_the_offset_is_read_at_most_once_per_cache_period() -> None:
    database, ticking = Database(), Ticking()
    offsets = database[clock.COLLECTION]
    test_clock = clock.StoreTestClock(offsets, cache_seconds=0.2, real=lambda: REAL, monotonic=ticking)
    test_clock()
    clock.advance(database, timedelta(days=1))
    ticking.now += 0.1
    assert test_clock() == REAL  # still the cached offset
    assert offsets.reads == 1 + 1  # the first call, and advance's own read-back
    ticking.now += 0.15
    assert test_clock() == REAL + timedelta(days=1)


def test_an_unreadable_store_keeps_the_last_offset() -> None:
    database, ticking = Database(), Ticking()
    clock.advance(database, timedelta(days=2))
    offsets = database[clock.COLLECTION]
    test_clock = clock.StoreTestClock(offsets, real=lambda: REAL, monotonic=ticking)
    assert test_clock() == REAL + timedelta(days=2)
    offsets.broken = True
    ticking.now += 1
    assert test_clock() == REAL + timedelta(days=2)


def test_the_clock_never_moves_back() -> None:
    with pytest.raises(ValueError, match="forward"):
        clock.advance(Database(), timedelta(seconds=-1))


def test_a_bad_offset_document_is_named() -> None:
    database = Database()
    database[clock.COLLECTION].documents[clock.OFFSET_ID] = {"_id": clock.OFFSET_ID, "seconds": "soon"}
    with pytest.raises(ValueError, match="seconds"):
        clock.read_offset(database[clock.COLLECTION])


def test_reset_returns_to_real_time() -> None:
    database = Database()
    clock.advance(database, timedelta(days=9))
    clock.reset(database)
    assert clock.read_offset(database[clock.COLLECTION]) == timedelta(0)
