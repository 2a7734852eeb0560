"""The in-memory complaint views pass the views contract (MongoDB passes it in tests/integration)."""

from __future__ import annotations

import pytest
from views_contract import CALENDAR, POLICY, Story, ViewsContract, routed

from suara_casework.adapters.views import ComplaintViews, InMemoryComplaintViews
from suara_kit import codec


class TestInMemoryComplaintViews(ViewsContract):
    @pytest.fixture
    def views(self) -> ComplaintViews:
        return InMemoryComplaintViews(POLICY, CALENDAR)


def test_the_document_keeps_each_events_bytes_by_sequence_as_on_the_topic() -> None:
    views = InMemoryComplaintViews(POLICY, CALENDAR)
    story = Story(routed()).apply_to(views)

    document = views.document(story.complaint_id)

    assert document is not None
    assert sorted(document["events"]) == ["1", "2"]
    assert document["events"]["2"]["data"] == codec.encode(story.events[1])
    assert (document["applied"], document["folded"]) == (2, 2)
