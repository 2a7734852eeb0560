"""The lifecycle documentation names every event type, field and status the code has."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from suara_complaint.events import EVENT_TYPES, Event
from suara_complaint.lifecycle import Status

DOCS = Path(__file__).resolve().parents[3] / "docs" / "lifecycle"


def test_events_md_lists_every_event_and_field() -> None:
    text = (DOCS / "events.md").read_text()
    common = {f.name for f in dataclasses.fields(Event)}
    for name in common:
        assert f"`{name}`" in text, name
    for t in EVENT_TYPES:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{t.__name__}` |")), None)
        assert row is not None, f"{t.__name__} missing from events.md"
        for f in dataclasses.fields(t):
            if f.name not in common:
                assert f"`{f.name}`" in row, f"{t.__name__}.{f.name} missing from events.md"


def test_the_state_diagram_shows_every_status() -> None:
    text = (DOCS / "README.md").read_text()
    diagram = text[text.index("stateDiagram-v2") : text.index("```", text.index("stateDiagram-v2"))]
    for status in Status:
        assert status.value in diagram, status
