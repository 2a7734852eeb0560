"""The router's Faust agent halts at an event too new for its code: no dead letter, no acknowledgement, NOT_SERVING."""

from __future__ import annotations

import asyncio

import pytest
from test_faust_agent import DeadLetterTopic, Handler, submitted

from suara.v1 import events_pb2 as pb
from suara_router.entrypoints import faust_app


def too_new() -> bytes:
    """A ComplaintSubmitted of schema version 2, as a newer producer writes it."""
    envelope = pb.EventEnvelope()
    envelope.ParseFromString(submitted())
    envelope.schema_version = 2
    return envelope.SerializeToString()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_event_too_new_for_the_router_halts_the_agent_without_dead_letter_or_ack(
    tmp_path, monkeypatch, caplog: pytest.LogCaptureFixture, concurrency: int
) -> None:
    monkeypatch.setattr(faust_app, "CONCURRENCY", concurrency)
    app = faust_app.make_app("127.0.0.1:1", 1, tmp_path)
    events = app.topic("suara.complaints.events.v1", value_type=bytes, key_type=bytes)
    dead_letters, handler = DeadLetterTopic(), Handler()
    reports: list[tuple[str, str | None]] = []
    faust_app.add_router_agent(app, events, dead_letters, lambda loop: handler, lambda c, p: reports.append((c, p)))
    agent = app.agents["route-complaints"]
    put: list = []

    async def put_too_new_then_a_good_one() -> None:
        async with agent.test_context() as running:
            put.append(await running.put(too_new(), key=b"complaint", wait=False))
            for _ in range(200):
                if reports:
                    break
                await asyncio.sleep(0.01)
            put.append(await running.put(submitted(), key=b"complaint", wait=False))
            await asyncio.sleep(0.2)

    asyncio.run(asyncio.wait_for(put_too_new_then_a_good_one(), timeout=10))

    assert handler.calls == []  # neither the event too new nor the good one after it
    assert dead_letters.sent == []
    assert not any(event.message.acked for event in put)
    ((component, detail),) = reports
    assert component == "consumer:suara.complaints.events.v1[0]"
    assert detail is not None and detail.startswith(
        "cannot read event type 'ComplaintSubmitted' schema version 2 at suara.complaints.events.v1[0] offset 0:"
    )
    assert detail.endswith("(deploy consumers before producers)")
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [detail]
