"""The consumer side of the audit service: wait for the sequencer lease, then log the events topic in batches.

Only the lease holder consumes, so the whole topic (every partition) goes to the one writer; a second instance
serves reads and waits, and takes over within the lease's time to live when the holder stops renewing it.
The lease holder also signs checkpoints (its heartbeat ticks the checkpointer once a second).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from suara_audit.adapters.log_store import LeafTaken, LeaseLost
from suara_audit.domain.leaf import Received, Source
from suara_audit.handlers import Checkpointer, NotSequencer, Sequencer
from suara_kit.kafka import ConsumerLoop, DeadLetters

log = logging.getLogger(__name__)
LOST = (LeaseLost, LeafTaken, NotSequencer)


class BatchConsumerLoop(ConsumerLoop):
    """suara_kit's ConsumerLoop, handing each partition's polled records to the handler at once and committing them
    together: one append (one store round trip per collection) per partition per poll instead of per event.

    If the batch fails, the same records go through ConsumerLoop's one-at-a-time path (retry, dead-letter), so one
    bad record still cannot hold up the rest. (A candidate for suara_kit's ConsumerLoop itself.)"""

    def __init__(
        self, consumer: KafkaConsumer, batch_handler: Callable[[list[ConsumerRecord]], None], dead_letters: DeadLetters
    ) -> None:
        super().__init__(consumer, lambda record: batch_handler([record]), dead_letters)
        self._batch_handler = batch_handler

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _process_partition(self, partition: TopicPartition, records: list[ConsumerRecord]) -> None:
        if self._stopping.is_set():
            return
        try:
            self._batch_handler(records)
        except Exception as error:
            if not self._stopping.is_set():
                log.warning("a batch of %d failed, handling it one by one: %s", len(records), error)
            super()._process_partition(partition, records)
            return
        self._consumer.commit({partition: OffsetAndMetadata(records[-1].offset + 1, "", -1)})


def received(record: ConsumerRecord) -> Received:
    return Received(bytes(record.value or b""), Source(record.topic, record.partition, record.offset))


class SequencerWorker:
    def __init__(
        self,
        *,
        sequencer: Sequencer,
        checkpointer: Checkpointer,
        make_consumer: Callable[[], KafkaConsumer],
        dead_letters: DeadLetters,
        lease_ttl_s: float,
    ) -> None:
        self._sequencer = sequencer
        self._checkpointer = checkpointer
        self._make_consumer = make_consumer
        self._dead_letters = dead_letters
        self._ttl = lease_ttl_s
        self._stopping = threading.Event()
        self._loop: BatchConsumerLoop | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._loop is not None:
            self._loop.stop()

    def run(self) -> None:
        """Until stop(): wait for the lease, consume while holding it, go back to waiting when it is lost."""
        waiting_said = False
        try:
            while not self._stopping.is_set():
                if not self._sequencer.acquire():
                    if not waiting_said:
                        log.info("another instance holds the sequencer lease; waiting (serving reads meanwhile)")
                        waiting_said = True
                    self._stopping.wait(self._ttl / 3)
                    continue
                waiting_said = False
                log.info(
                    "holding the sequencer lease at tree size %d",
                    self._sequencer.head.size if self._sequencer.head else -1,
                )
                self._sequence()
        finally:
            self._sequencer.release()

    def _store_size(self) -> int:
        head = self._sequencer.head
        return head.size if head else -1

    def _sequence(self) -> None:
        loop = BatchConsumerLoop(self._make_consumer(), self._append, self._dead_letters)
        self._loop = loop
        if self._stopping.is_set():
            loop.stop()
        beat = threading.Thread(target=self._heartbeat, args=(loop,), name="audit-lease", daemon=True)
        beat.start()
        try:
            loop.run()
        finally:
            loop.stop()
            beat.join(timeout=10)
            self._loop = None

    def _append(self, records: list[ConsumerRecord]) -> None:
        assert self._loop is not None
        try:
            if self._sequencer.head is None and not self._sequencer.acquire():
                raise LeaseLost("another instance took the sequencer lease")
            leaves = self._sequencer.append([received(r) for r in records])
        except LOST as error:
            log.warning("stopped sequencing: %s", error)
            self._loop.stop()  # before raising: the loop must not retry or dead-letter these records
            raise
        if leaves:
            log.debug("appended leaves %d..%d", leaves[0].index, leaves[-1].index)

    def _heartbeat(self, loop: BatchConsumerLoop) -> None:
        renew_every = self._ttl / 3
        since_renewal = 0.0
        while not loop.stopping and not self._stopping.wait(1.0):
            since_renewal += 1.0
            try:
                if since_renewal >= renew_every:
                    self._sequencer.renew()
                    since_renewal = 0.0
                checkpoint = self._checkpointer.tick()
                if checkpoint is not None:
                    log.info("signed checkpoint at tree size %d", checkpoint.size)
            except LeaseLost as error:
                log.warning("lost the sequencer lease: %s", error)
                loop.stop()
                return
            except Exception as error:  # the store is down: keep beating, the lease may still be ours
                log.warning("heartbeat failed: %s", error)
