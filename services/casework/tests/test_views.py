"""The in-memory complaint views pass the views contract (MongoDB passes it in tests/integration)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from views_contract import CALENDAR, COORDINATOR, POLICY, T0, Story, ViewsContract, officer, routed

from suara_casework.adapters.views import ComplaintViews, InMemoryComplaintViews, _Documents
from suara_complaint import commands as c
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


def test_a_whole_stream_folded_at_once_is_the_document_event_by_event_application_leaves() -> None:
    """What a replay's rebuild writes (MongoComplaintViews.rebuild): one document from the whole stream, the same as
    the projector's, also when an event arrives late and one at a taken position is a different event."""
    story = Story(routed()).do(c.HandBack, officer("DPUPR"), T0 + timedelta(hours=1), reason="saluran")
    story.do(c.Dispatch, COORDINATOR, T0 + timedelta(hours=2), opd="DLHKP").tick(T0 + timedelta(days=20))
    impostor = replace(story.events[1], event_id=str(uuid.uuid4()))  # the routing's place, another event id
    late = [story.events[0], *story.events[2:], story.events[1], impostor]
    stream = [(codec.decode(codec.encode(e)), codec.encode(e)) for e in late]
    views = InMemoryComplaintViews(POLICY, CALENDAR)
    for event, data in stream:
        views.apply(event, data)

    whole = _Documents(POLICY, CALENDAR).whole(story.complaint_id, stream)

    assert whole == views.document(story.complaint_id)
    assert whole["folded"] == len(story.events)
