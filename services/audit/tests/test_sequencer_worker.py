"""The audit consumer loop never skips an event: a record that cannot be logged holds its partition, says so in an
ERROR log and the health check, and is logged as soon as it can be; other partitions go on meanwhile."""

from __future__ import annotations

import logging
import threading
from collections import namedtuple

import pytest
from kafka import TopicPartition

from suara_audit.entrypoints.sequencer_worker import BatchConsumerLoop

Record = namedtuple("Record", "topic partition offset key value")
TOPIC = "suara.complaints.events.v1"


class FakeConsumer:
    """The part of KafkaConsumer the loop uses: poll from each partition's position, seek, commit, close."""

    def __init__(self, partitions: dict[int, int]) -> None:
        self.records = {
            TopicPartition(TOPIC, p): [Record(TOPIC, p, o, b"k", b"v%d" % o) for o in range(n)]
            for p, n in partitions.items()
        }
        self.position = {tp: 0 for tp in self.records}
        self.committed: dict[TopicPartition, int] = {}
        self.polls = 0
        self.polled = threading.Condition()

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        with self.polled:
            self.polls += 1
            self.polled.notify_all()
        batch = {tp: rs[self.position[tp] :] for tp, rs in self.records.items() if rs[self.position[tp] :]}
        for tp, rs in batch.items():
            self.position[tp] = rs[-1].offset + 1
        return batch

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.position[tp] = offset

    def commit(self, offsets) -> None:
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})

    def close(self, autocommit: bool = True) -> None:
        pass

    def wait_for_polls(self, count: int) -> None:
        with self.polled:
            assert self.polled.wait_for(lambda: self.polls >= count, timeout=10)


class Handler:
    """Logs every record but one (partition 0, offset 1) until `fixed`."""

    def __init__(self) -> None:
        self.fixed = False
        self.logged: list[tuple[int, int]] = []

    def __call__(self, records: list[Record]) -> None:
        if not self.fixed and any((r.partition, r.offset) == (0, 1) for r in records):
            raise ValueError("a bug while appending")
        self.logged += [(r.partition, r.offset) for r in records]


def test_a_record_that_cannot_be_logged_holds_its_partition_with_an_error_and_not_serving_never_dead_lettered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = FakeConsumer({0: 3, 1: 2})
    handler = Handler()
    health: list[str | None] = []
    loop = BatchConsumerLoop(consumer, handler, health.append, backoff_seconds=0.01)  # type: ignore[arg-type]
    running = threading.Thread(target=loop.run)
    with caplog.at_level(logging.INFO):
        running.start()
        consumer.wait_for_polls(8)  # well past ConsumerLoop's 3 attempts before a dead letter

        held = (list(consumer.committed.items()), list(handler.logged), health[-1])
        handler.fixed = True  # the operator's fix
        consumer.wait_for_polls(consumer.polls + 3)
        loop.stop()
        running.join(timeout=10)

    committed, logged, problem = held
    assert dict(committed) == {TopicPartition(TOPIC, 0): 1, TopicPartition(TOPIC, 1): 2}  # never past offset 1
    assert (0, 2) not in logged and (1, 1) in logged  # the partition waits; the other goes on
    assert problem is not None and f"{TOPIC}[0]@1 cannot be logged (ValueError: a bug while appending)" in problem
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "partition waits" in errors[0].getMessage()  # said once, not at every retry
    assert consumer.committed[TopicPartition(TOPIC, 0)] == 3 and (0, 1) in handler.logged and (0, 2) in handler.logged
    assert health[-1] is None  # serving again once it was logged
