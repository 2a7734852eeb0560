"""The in-memory stores keep the same contracts as the MongoDB ones (see store_contract.py)."""

from __future__ import annotations

import pytest
from store_contract import CheckpointStoreContract, DisclosureStoreContract, LogStoreContract

from suara_audit.adapters.checkpoints import InMemoryCheckpointStore
from suara_audit.adapters.disclosures import InMemoryDisclosureStore
from suara_audit.adapters.log_store import InMemoryLogStore


class TestInMemoryStores(LogStoreContract, CheckpointStoreContract, DisclosureStoreContract):
    @pytest.fixture
    def log_store(self) -> InMemoryLogStore:
        return InMemoryLogStore()

    @pytest.fixture
    def checkpoint_store(self) -> InMemoryCheckpointStore:
        return InMemoryCheckpointStore()

    @pytest.fixture
    def disclosure_store(self) -> InMemoryDisclosureStore:
        return InMemoryDisclosureStore()
