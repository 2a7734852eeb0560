"""On the real broker: an event too new for a consumer's code pauses its partition (nothing skipped, nothing
dead-lettered, nothing committed past it) while the other partitions go on."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from harness import Infra
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from suara.v1 import events_pb2 as pb
from suara_kit import codec
from suara_kit.events import Actor, ActorKind, ComplaintSubmitted, Event, SourceChannel
from suara_kit.kafka import ConsumerLoop, DeadLetters, TopicSpec, ensure_topics, make_consumer, make_producer

pytestmark = pytest.mark.integration


def submitted() -> bytes:
    return codec.encode(
        Event(
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            1,
            datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            Actor(ActorKind.INTEGRATOR, "portal"),
            "request-1",
            "request-1",
            "suara-intake",
            ComplaintSubmitted(
                "KDR-3Q7ZK-M0P4X", "Lampu PJU mati.", "pju", "", "", "", SourceChannel.WEB_PORTAL, False, False, "k"
            ),
        )
    )


def from_a_newer_producer() -> bytes:
    envelope = pb.EventEnvelope()
    envelope.ParseFromString(submitted())
    envelope.ClearField("payload")
    envelope.event_type = "Lifecycle.ComplaintTeleported"
    return envelope.SerializeToString() + b"\x9a\x06\x02\x08\x01"  # field 99: a payload case this code lacks


class CountingDeadLetters(DeadLetters):
    def __init__(self) -> None:
        self.sent: list[ConsumerRecord] = []

    def send(self, record: ConsumerRecord, error: BaseException) -> None:
        self.sent.append(record)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_event_too_new_pauses_only_its_partition_on_the_real_broker(infra: Infra) -> None:
    topic, group = f"suara.pause-test.{uuid.uuid4().hex[:8]}", f"pause-test-{uuid.uuid4().hex[:8]}"
    ensure_topics(infra.kafka_bootstrap, [TopicSpec(topic, 2, 1)])
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    producer = make_producer(infra.kafka_bootstrap, "pause-test")
    for partition, value in [(0, submitted()), (0, from_a_newer_producer()), (0, submitted()), (1, submitted())]:
        producer.send(topic, value=value, key=b"k", partition=partition).get(timeout=30)

    handled: list[tuple[int, int]] = []
    reports: list[tuple[str, str | None]] = []

    def handle(record: ConsumerRecord) -> None:
        codec.decode(bytes(record.value))
        handled.append((record.partition, record.offset))

    dead_letters = CountingDeadLetters()
    loop = ConsumerLoop(
        make_consumer(infra.kafka_bootstrap, group, topic),
        handle,
        dead_letters,
        backoff_seconds=0.1,
        report=lambda c, p: reports.append((c, p)),
    )
    worker = threading.Thread(target=loop.run, daemon=True)
    worker.start()
    try:
        wait_until(lambda: (1, 0) in handled and bool(reports))
        producer.send(topic, value=submitted(), key=b"k", partition=1).get(timeout=30)
        producer.send(topic, value=submitted(), key=b"k", partition=0).get(timeout=30)
        wait_until(lambda: (1, 1) in handled)
        time.sleep(2)  # time enough for partition 0's later messages to arrive, were it not paused
    finally:
        loop.stop()
        worker.join(timeout=30)
        producer.close()

    assert sorted(handled) == [(0, 0), (1, 0), (1, 1)]
    assert dead_letters.sent == []
    assert reports == [(f"consumer:{topic}[0]", loop.paused()[p0])]
    assert f"event type 'Lifecycle.ComplaintTeleported' schema version 1 at {topic}[0] offset 1" in loop.paused()[p0]
    check = KafkaConsumer(bootstrap_servers=infra.kafka_bootstrap.split(","), group_id=group, enable_auto_commit=False)
    try:
        assert (check.committed(p0), check.committed(p1)) == (1, 2)
    finally:
        check.close()
