"""The router's Faust agent, run with agent.test_context() (no broker): decode, hand over, or dead-letter."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from kafka.errors import KafkaTimeoutError
from pymongo.errors import AutoReconnect

from suara_kit import codec
from suara_kit.events import Actor, ActorKind, ComplaintSubmitted, Event, SourceChannel
from suara_router.entrypoints import faust_app


class DeadLetterTopic:
    """Stands in for the dead-letter topic: keeps what is sent, acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    async def send(self, **message: object) -> asyncio.Future[None]:
        self.sent.append(message)
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered


MARKER_ID = str(uuid.uuid4())


class Handler:
    """The routing handler the agent calls in a worker thread; raises the scripted errors first."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls: list[Event] = []

    def __call__(self, event: Event) -> None:
        if event.complaint_id == MARKER_ID:
            return
        self.calls.append(event)
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture(autouse=True)
def one_agent_instance(monkeypatch) -> None:
    """These tests read the agent's retry policy, and their end-marker is only last with a single instance."""
    monkeypatch.setattr(faust_app, "CONCURRENCY", 1)


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The agent's back-off pauses, recorded instead of slept."""
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    fast = SimpleNamespace(get_running_loop=asyncio.get_running_loop, to_thread=asyncio.to_thread, sleep=no_sleep)
    monkeypatch.setattr(faust_app, "asyncio", fast)
    return slept


def run_agent(tmp_path, handler: Handler, *values: bytes) -> DeadLetterTopic:
    app = faust_app.make_app("127.0.0.1:1", 1, tmp_path)
    events = app.topic("suara.complaints.events.v1", value_type=bytes, key_type=bytes)
    dead_letters = DeadLetterTopic()
    faust_app.add_router_agent(app, events, dead_letters, lambda loop: handler)
    agent = app.agents["route-complaints"]

    async def put_all() -> None:
        async with agent.test_context() as running:
            # put() returns once the agent has taken a message; the agent takes the marker only after it has
            # finished with everything before it.
            for value in (*values, submitted(complaint_id=MARKER_ID)):
                await running.put(value, key=b"complaint")

    asyncio.run(put_all())
    return dead_letters


def submitted(complaint_id: str = "") -> bytes:
    return codec.encode(
        Event(
            str(uuid.uuid4()),
            complaint_id or str(uuid.uuid4()),
            1,
            datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            Actor(ActorKind.INTEGRATOR, "portal"),
            "request-1",
            "request-1",
            "suara-intake",
            ComplaintSubmitted(
                "KDR-3Q7ZK-M0P4X",
                "Lampu PJU di Jl. Sersan Suharmaji mati.",
                "pju",
                "35.71.02.1001",
                "Kemasan",
                "Kota",
                SourceChannel.WEB_PORTAL,
                False,
                False,
                "web-1",
            ),
        )
    )


def test_a_decodable_event_is_handed_to_the_handler(tmp_path, sleeps) -> None:
    handler, value = Handler(), submitted()

    dead_letters = run_agent(tmp_path, handler, value)

    assert handler.calls == [codec.decode(value)]
    assert dead_letters.sent == []


def test_an_undecodable_message_is_dead_lettered_untouched_and_the_next_one_handled(tmp_path, sleeps) -> None:
    handler, value = Handler(), submitted()

    dead_letters = run_agent(tmp_path, handler, b"\xff\xff garbage", value)

    (dead,) = dead_letters.sent
    assert (dead["key"], dead["value"]) == (b"complaint", b"\xff\xff garbage")
    headers = dict(dead["headers"])
    assert headers["suara.error_type"] == b"UndecodableEvent"
    assert headers["suara.consumer_group"] == b"suara-router"
    assert headers["suara.source_topic"] == b"suara.complaints.events.v1"
    assert handler.calls == [codec.decode(value)]
    assert sleeps == []


def test_an_unreachable_store_is_retried_until_it_works(tmp_path, sleeps) -> None:
    handler = Handler(AutoReconnect("no primary"), AutoReconnect("no primary"))

    dead_letters = run_agent(tmp_path, handler, submitted())

    assert len(handler.calls) == 3
    assert sleeps == [0.5, 1.0]
    assert dead_letters.sent == []


def test_a_handler_that_keeps_failing_is_dead_lettered_after_max_attempts(tmp_path, sleeps) -> None:
    handler = Handler(*[ValueError("a bug")] * 5)

    dead_letters = run_agent(tmp_path, handler, submitted())

    assert len(handler.calls) == faust_app.MAX_ATTEMPTS
    assert sleeps == [0.5, 1.0]
    (dead,) = dead_letters.sent
    assert dict(dead["headers"])["suara.error"] == b"a bug"


class FlakyDeadLetterTopic(DeadLetterTopic):
    """A dead-letter topic that cannot be reached for the first `failures` sends."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def send(self, **message: object) -> asyncio.Future[None]:
        if self.failures:
            self.failures -= 1
            raise KafkaTimeoutError("dead-letter topic: no acknowledgement")
        return await super().send(**message)


def run_agent_collecting(tmp_path, handler, dead_letters, *values: bytes) -> list:
    """Like run_agent, with the given dead-letter topic; returns the events put (their messages say if acked)."""
    app = faust_app.make_app("127.0.0.1:1", 1, tmp_path)
    events = app.topic("suara.complaints.events.v1", value_type=bytes, key_type=bytes)
    faust_app.add_router_agent(app, events, dead_letters, lambda loop: handler)
    agent = app.agents["route-complaints"]
    put: list = []

    async def put_all() -> None:
        async with agent.test_context() as running:
            for value in (*values, submitted(complaint_id=MARKER_ID)):
                put.append(await running.put(value, key=b"complaint"))
            await asyncio.sleep(0.05)

    asyncio.run(asyncio.wait_for(put_all(), timeout=10))
    return put


def test_an_event_whose_dead_letter_send_fails_is_dead_lettered_once_the_topic_answers(tmp_path, sleeps) -> None:
    handler, dead_letters = Handler(), FlakyDeadLetterTopic(failures=2)
    value = submitted()

    put = run_agent_collecting(tmp_path, handler, dead_letters, b"\xff garbage", value)

    (dead,) = dead_letters.sent
    assert dead["value"] == b"\xff garbage"
    assert handler.calls == [codec.decode(value)]
    assert sleeps == [0.5, 1.0]
    assert all(event.message.acked for event in put)


def test_an_event_whose_handling_is_cancelled_is_not_acknowledged(tmp_path, sleeps) -> None:
    handler = Handler(asyncio.CancelledError())
    app = faust_app.make_app("127.0.0.1:1", 1, tmp_path)
    events = app.topic("suara.complaints.events.v1", value_type=bytes, key_type=bytes)
    faust_app.add_router_agent(app, events, DeadLetterTopic(), lambda loop: handler)
    agent = app.agents["route-complaints"]
    put: list = []

    async def cancelled_mid_handle() -> None:
        async with agent.test_context() as running:
            put.append(await running.put(submitted(), key=b"complaint", wait=False))
            for _ in range(100):
                if handler.calls:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)

    asyncio.run(asyncio.wait_for(cancelled_mid_handle(), timeout=10))

    assert len(handler.calls) == 1
    (event,) = put
    assert not event.message.acked
