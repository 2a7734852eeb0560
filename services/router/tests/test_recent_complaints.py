"""The in-memory store of recent complaints passes the shared contract (the Mongo adapter: integration tests)."""

from __future__ import annotations

import pytest
from recent_complaints_contract import RecentComplaintsContract

from suara_router.adapters.recent_complaints import InMemoryRecentComplaints


class TestInMemoryRecentComplaints(RecentComplaintsContract):
    @pytest.fixture
    def store(self) -> InMemoryRecentComplaints:
        return InMemoryRecentComplaints()
