"""The in-memory store of recent complaints passes the shared contract (the Mongo adapter: integration tests);
the Mongo adapter rides out a lost upsert race."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError
from recent_complaints_contract import MRICAN, RecentComplaintsContract, recent

from suara_router.adapters.recent_complaints import InMemoryRecentComplaints, MongoRecentComplaints


class TestInMemoryRecentComplaints(RecentComplaintsContract):
    @pytest.fixture
    def store(self) -> InMemoryRecentComplaints:
        return InMemoryRecentComplaints()


class LosesTheFirstUpsertRace:
    """A collection whose first find_one_and_update fails as the loser of two concurrent upserts of one new
    bucket does (DuplicateKeyError), after the winner created the bucket."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.raced = False

    def find_one_and_update(self, query: dict[str, Any], update: dict[str, Any], **_: Any) -> dict[str, Any]:
        bucket = self.documents.setdefault(query["_id"], {"_id": query["_id"], "recent": {}})
        if not self.raced:
            self.raced = True
            raise DuplicateKeyError("E11000 duplicate key error", 11000)
        for path, value in update["$set"].items():
            bucket["recent"][path.removeprefix("recent.")] = value
        return bucket


def test_the_loser_of_a_race_to_create_a_bucket_adds_its_complaint_on_the_second_try() -> None:
    collection = LosesTheFirstUpsertRace()
    store = MongoRecentComplaints({"router_recent_complaints": collection})  # type: ignore[arg-type]
    complaint = recent(1, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))

    store.add(complaint, keep_after=complaint.received_at - timedelta(days=7))

    assert list(collection.documents[f"{MRICAN}|jalan_rusak|"]["recent"]) == [complaint.complaint_id]
