"""The contract every Lease adapter keeps (in-memory here, MongoLease in tests/integration/test_store_adapters.py).

Each test names its own lease (`lease_named`), so one database can serve a whole integration run."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from suara_kit.lease import Lease

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
TTL = timedelta(seconds=10)


class LeaseContract:
    @pytest.fixture
    def lease_named(self) -> Callable[[str], Lease]:
        raise NotImplementedError("a subclass provides the lease under test")

    @pytest.fixture
    def lease(self, lease_named: Callable[[str], Lease]) -> Lease:
        return lease_named(f"test-{uuid.uuid4()}")

    def test_a_free_lease_is_taken(self, lease: Lease) -> None:
        assert lease.acquire("a", NOW, TTL) is True

    def test_the_holder_extends_it_and_another_owner_is_refused_until_it_expires(self, lease: Lease) -> None:
        lease.acquire("a", NOW, TTL)

        assert lease.acquire("a", NOW + timedelta(seconds=8), TTL) is True  # now held until +18 s
        assert lease.acquire("b", NOW + timedelta(seconds=12), TTL) is False
        assert lease.acquire("b", NOW + timedelta(seconds=19), TTL) is True
        assert lease.acquire("a", NOW + timedelta(seconds=20), TTL) is False

    def test_a_released_lease_is_free_at_once_and_only_its_holder_can_release_it(self, lease: Lease) -> None:
        lease.acquire("a", NOW, TTL)
        lease.release("b")
        assert lease.acquire("b", NOW, TTL) is False

        lease.release("a")

        assert lease.acquire("b", NOW, TTL) is True

    def test_leases_of_different_names_are_independent(self, lease_named: Callable[[str], Lease]) -> None:
        one, other = lease_named(f"one-{uuid.uuid4()}"), lease_named(f"other-{uuid.uuid4()}")

        assert one.acquire("a", NOW, TTL) is True
        assert other.acquire("b", NOW, TTL) is True
