"""The router as a Faust app: a thin agent that decodes each event, routes it in a worker thread, and moves on; it
halts at an event too new for its code (deploy consumers before producers)."""

from __future__ import annotations

import asyncio
import logging
from asyncio import Event as AsyncEvent  # imported by name: the agent's tests replace `asyncio` to skip its sleeps
from collections.abc import Callable
from pathlib import Path

import faust

from suara_kit import codec
from suara_kit.complaints import Outcome
from suara_kit.events import Event
from suara_kit.kafka import Disposition, HealthReport, dead_letter_headers, disposition, too_new_message

log = logging.getLogger(__name__)
GROUP = "suara-router"
MAX_ATTEMPTS = 3
# Complaints are routed four at a time: each complaint has exactly one ComplaintSubmitted, so no two of them
# belong to one stream, and a redelivered one is deduplicated by the journal. Faust commits an offset only
# when every event before it was acknowledged. If the router ever acts on several events of one complaint,
# this must become 1 (or partition the work by complaint).
CONCURRENCY = 4


def make_app(bootstrap: str, partitions: int, data_dir: Path) -> faust.App:
    """The Faust app. Building it opens no connection; the worker does, when started."""
    return faust.App(
        GROUP,
        broker=[f"kafka://{hostport}" for hostport in bootstrap.split(",")],
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=str(data_dir),
        web_enabled=False,
        producer_acks=-1,
        topic_partitions=partitions,
        topic_disable_leader=True,
        topic_allow_declare=False,  # topics are created, with their retention settings, by ensure_topics
        consumer_auto_offset_reset="earliest",
    )


def add_router_agent(
    app: faust.App,
    events: faust.TopicT,
    dead_letters: faust.TopicT,
    make_handler: Callable[[asyncio.AbstractEventLoop], Callable[[Event], Outcome | None]],
    report: HealthReport | None = None,
) -> None:
    """`make_handler` gets the running event loop (publishing from worker threads goes through it). `report`
    (RunningServer.report) hears which partition the agent halted at when an event is too new for its code."""
    halted: list[str] = []  # the reason, once one instance met an event too new for this code

    @app.agent(events, name="route-complaints", concurrency=CONCURRENCY)
    async def route_complaints(stream: faust.StreamT[bytes]) -> None:
        handle = make_handler(asyncio.get_running_loop())
        # Acknowledged by hand, and only once the routed event or the dead letter is acknowledged by Kafka. With
        # Faust's automatic acks, an event whose dead-letter send failed, or whose handling was cancelled (a
        # rebalance, a shutdown), was acknowledged anyway as the agent left it, and its offset committed.
        manual = stream.noack()  # type: ignore[attr-defined]  # Stream.noack exists; faust's StreamT omits it
        async for record in manual.events():
            message = record.message
            context = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
            if halted:
                await _halt()  # another instance met an event too new for this code: handle nothing more
            attempts = 0
            while True:
                attempts += 1
                try:
                    event = codec.decode(bytes(record.value))
                    outcome = await asyncio.to_thread(handle, event)
                    if outcome is not None and outcome.recorded:
                        log.info(
                            "complaint routed",
                            extra={
                                **context,
                                "complaint_id": event.complaint_id,
                                "event_id": outcome.recorded[0].event_id,
                                "status": str(outcome.status),
                            },
                        )
                    break
                except Exception as error:
                    verdict = disposition(error, attempts, MAX_ATTEMPTS)
                    if verdict is Disposition.PAUSE and isinstance(error, codec.EventTooNew):
                        # Faust cannot pause one partition of an agent: the whole agent halts, acknowledging neither
                        # this event nor any later one, so nothing past it is committed or skipped.
                        detail = too_new_message(error, message.topic, message.partition, message.offset)
                        halted.append(detail)
                        log.error(detail, extra=context)
                        if report is not None:
                            report(f"consumer:{message.topic}[{message.partition}]", detail)
                        await _halt()
                    if verdict is Disposition.RETRY:
                        log.warning(
                            "routing failed (attempt %d), will retry: %s: %s",
                            attempts,
                            type(error).__name__,  # a publish that timed out has an empty message
                            error,
                            extra=context,
                        )
                        await asyncio.sleep(min(5.0, 0.5 * attempts))
                        continue
                    headers = dead_letter_headers(error, message.topic, message.partition, message.offset, GROUP)
                    await _dead_letter(dead_letters, message.key, bytes(record.value), headers, error, context)
                    break
            await manual.ack(record)


async def _halt() -> None:
    """Wait until the worker stops (it cancels the agent): the agent handles and acknowledges nothing more."""
    await AsyncEvent().wait()


async def _dead_letter(
    dead_letters: faust.TopicT,
    key: bytes | None,
    value: bytes,
    headers: list[tuple[str, bytes]],
    error: BaseException,
    context: dict[str, object],
) -> None:
    """Send to the dead-letter topic and wait for Kafka's acknowledgement, trying until it comes: the event is
    acknowledged only after that, so a dead-letter topic that is briefly unreachable loses nothing."""
    attempts = 0
    while True:
        attempts += 1
        try:
            await (await dead_letters.send(key=key, value=value, headers=headers))
        except Exception as send_error:
            log.warning("could not dead-letter (attempt %d), will retry: %s", attempts, send_error, extra=context)
            await asyncio.sleep(min(5.0, 0.5 * attempts))
            continue
        log.warning("dead-lettered a message: %s", error, extra=context)
        return
