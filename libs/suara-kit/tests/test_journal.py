"""The in-memory journal keeps the same contract as the MongoDB one (see journal_contract.py)."""

from __future__ import annotations

import pytest
from journal_contract import JournalContract, new_complaint_id, stored

from suara_kit.journal import InMemoryJournal, Journal


class TestInMemoryJournal(JournalContract):
    @pytest.fixture
    def journal(self) -> Journal:
        return InMemoryJournal()


def test_in_memory_journal_lists_pending_events_in_the_order_they_were_appended() -> None:
    journal = InMemoryJournal()
    first, second = stored(new_complaint_id(), 1), stored(new_complaint_id(), 1)
    journal.append(first)
    journal.append(second)

    assert [e.event_id for e in journal.unpublished()] == [first.event_id, second.event_id]
