"""The in-memory journal keeps the same contract as the MongoDB one (see journal_contract.py)."""

from __future__ import annotations

import pytest
from journal_contract import JournalContract

from suara_kit.journal import InMemoryJournal, Journal, StoredEvent


class TestInMemoryJournal(JournalContract):
    @pytest.fixture
    def journal(self) -> Journal:
        return InMemoryJournal()

    def lose_outbox_entry(self, journal: Journal, event: StoredEvent) -> None:
        assert isinstance(journal, InMemoryJournal)
        journal.lose_outbox_entry(event.complaint_id, event.sequence)
