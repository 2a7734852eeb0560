"""The in-memory lease keeps the same contract as the MongoDB one (see lease_contract.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lease_contract import LeaseContract

from suara_kit.lease import InMemoryLease, Lease


class TestInMemoryLease(LeaseContract):
    @pytest.fixture
    def lease_named(self) -> Callable[[str], Lease]:
        return lambda name: InMemoryLease()
