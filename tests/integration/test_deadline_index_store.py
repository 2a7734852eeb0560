"""MongoDeadlineIndex passes the deadline index's contract on the real store (FerretDB locally), the same contract as
the in-memory fake (services/casework/tests/test_deadline_index.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from harness import Infra
from pymongo import MongoClient
from test_deadline_index import CALENDAR, POLICY, DeadlineIndexContract

from suara_casework.adapters.deadline_index import MongoDeadlineIndex

pytestmark = pytest.mark.integration


@pytest.fixture
def database(infra: Infra) -> Iterator[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_url, tz_aware=True)
    name = f"suara_deadlines_{uuid.uuid4().hex[:8]}"
    yield client[name]
    client.drop_database(name)
    client.close()


class TestMongoDeadlineIndex(DeadlineIndexContract):
    @pytest.fixture
    def index(self, database: Any) -> MongoDeadlineIndex:
        index = MongoDeadlineIndex(database, POLICY, CALENDAR)
        index.ensure_indexes()
        return index
