"""The views projector applies each record of the topic to the views; a record it cannot decode goes to the
consumer loop's dead-letter path instead of stopping the partition."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from views_contract import CALENDAR, POLICY, Story, routed

from suara_casework.adapters.views import InMemoryComplaintViews
from suara_casework.entrypoints.projector import VIEWS_GROUP, views_projector
from suara_kit import codec
from suara_kit.codec import UndecodableEvent
from suara_kit.kafka import Disposition, disposition


def record(value: bytes, offset: int = 0) -> Any:
    return SimpleNamespace(topic="suara.complaints.events.v1", partition=0, offset=offset, key=b"k", value=value)


def test_every_record_of_a_complaint_is_applied_once_however_often_it_comes() -> None:
    views = InMemoryComplaintViews(POLICY, CALENDAR)
    handle = views_projector(views)
    story = Story(routed())

    for n, event in enumerate([*story.events, *story.events]):
        handle(record(codec.encode(event), n))

    view = views.get(story.tracking_number)
    assert view is not None
    assert (view.status, view.opd, view.version) == ("dispatched", "DPUPR", 2)
    assert views.document(story.complaint_id)["applied"] == 2  # type: ignore[index]


def test_an_undecodable_record_raises_what_the_loop_dead_letters_and_changes_nothing() -> None:
    views = InMemoryComplaintViews(POLICY, CALENDAR)

    with pytest.raises(UndecodableEvent) as error:
        views_projector(views)(record(b"\xff\x00 not an envelope"))

    assert disposition(error.value, attempts=1, max_attempts=3) is Disposition.DEAD_LETTER
    assert views.queue("DPUPR").views == ()


def test_the_consumer_group_is_named_for_the_views() -> None:
    assert VIEWS_GROUP == "suara-casework-views"
