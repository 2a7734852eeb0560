"""The router as a Faust app: a thin agent that decodes each event, routes it in a worker thread, and moves on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import faust

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.kafka import Disposition, dead_letter_headers, disposition
from suara_kit.recording import Recorded

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
    make_handler: Callable[[asyncio.AbstractEventLoop], Callable[[Event], Recorded | None]],
) -> None:
    """`make_handler` gets the running event loop (publishing from worker threads goes through it)."""

    @app.agent(events, name="route-complaints", concurrency=CONCURRENCY)
    async def route_complaints(stream: faust.StreamT[bytes]) -> None:
        handle = make_handler(asyncio.get_running_loop())
        async for record in stream.events():
            message = record.message
            context = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
            attempts = 0
            while True:
                attempts += 1
                try:
                    event = codec.decode(bytes(record.value))
                    recorded = await asyncio.to_thread(handle, event)
                    if recorded is not None and recorded.created:
                        log.info(
                            "complaint routed",
                            extra={**context, "complaint_id": event.complaint_id, "event_id": recorded.event.event_id},
                        )
                    break
                except Exception as error:
                    if disposition(error, attempts, MAX_ATTEMPTS) is Disposition.RETRY:
                        log.warning("routing failed (attempt %d), will retry: %s", attempts, error, extra=context)
                        await asyncio.sleep(min(5.0, 0.5 * attempts))
                        continue
                    headers = dead_letter_headers(error, message.topic, message.partition, message.offset, GROUP)
                    await (await dead_letters.send(key=message.key, value=bytes(record.value), headers=headers))
                    log.warning("dead-lettered a message: %s", error, extra=context)
                    break
