"""The consumer side of the audit service: wait for the sequencer lease, then log the events topic in batches.

Only the lease holder consumes, so the whole topic (every partition) goes to the one writer; a second instance
serves reads and waits, and takes over within the lease's time to live when the holder stops renewing it.
The lease holder also signs checkpoints (its heartbeat ticks the checkpointer once a second).

Nothing is ever dead-lettered (decision 0055): an event the sequencer cannot describe is logged by its hash anyway
(handlers.py); if appending still fails, its partition waits at that event, with an ERROR log and the health check's
"sequencer" component NOT_SERVING naming it, until it can be logged (after an operator's fix and restart).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from suara_audit.adapters.log_store import LeafTaken, LeaseLost
from suara_audit.domain.leaf import Received, Source
from suara_audit.handlers import Checkpointer, NotSequencer, Sequencer
from suara_kit.kafka import TRANSIENT_ERRORS, ConsumerLoop, DeadLetters

log = logging.getLogger(__name__)
LOST = (LeaseLost, LeafTaken, NotSequencer)
COMPONENT = "sequencer"  # its name in the health check
REPEAT_ERROR_EVERY_S = 60.0

Health = Callable[[str | None], None]  # what is wrong with the sequencer (None: nothing)


class _NoDeadLetters(DeadLetters):
    """The integrity log never dead-letters; ConsumerLoop's constructor asks for a DeadLetters all the same."""

    def __init__(self) -> None:
        pass

    def send(self, record: ConsumerRecord, error: BaseException) -> None:
        raise AssertionError("the integrity log never dead-letters an event")


class BatchConsumerLoop(ConsumerLoop):
    """suara_kit's ConsumerLoop, handing each partition's polled records to the handler at once and committing them
    together: one append (one store round trip per collection) per partition per poll instead of per event.

    If the batch fails, the same records go through ConsumerLoop's one-at-a-time path, so the records before a bad
    one are logged and committed. A record that still fails is never skipped nor dead-lettered: its partition reads
    it again after a pause for as long as it fails (other partitions go on), and `health` says which and why.
    (A candidate for suara_kit's ConsumerLoop itself.)"""

    def __init__(
        self,
        consumer: KafkaConsumer,
        batch_handler: Callable[[list[ConsumerRecord]], None],
        health: Health = lambda problem: None,
        backoff_seconds: float = 0.5,
    ) -> None:
        super().__init__(
            consumer, lambda record: batch_handler([record]), _NoDeadLetters(), backoff_seconds=backoff_seconds
        )
        self._batch_handler = batch_handler
        self._health = health
        self._held: dict[TopicPartition, str] = {}  # partitions waiting at a record that cannot be logged, and why
        self._said: dict[tuple[str, int, int], float] = {}  # when each held record's ERROR was last logged

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _process_partition(self, partition: TopicPartition, records: list[ConsumerRecord]) -> None:
        if self._stopping.is_set():
            return
        try:
            self._batch_handler(records)
        except Exception as error:
            if not self._stopping.is_set() and partition not in self._held:
                log.warning("a batch of %d failed, handling it one by one: %s", len(records), error)
            super()._process_partition(partition, records)
            return
        self._consumer.commit({partition: OffsetAndMetadata(records[-1].offset + 1, "", -1)})
        self._release(partition)

    def _handle(self, record: ConsumerRecord) -> bool:
        """Log one record; False (read it again later) for as long as that fails, whatever the error."""
        key = (record.topic, record.partition, record.offset)
        try:
            self._handler(record)
        except Exception as error:
            if self._stopping.is_set():
                return False  # stopping (a lost lease among others): the next holder reads it again
            self._failures[key] = attempts = self._failures.get(key, 0) + 1
            if isinstance(error, TRANSIENT_ERRORS):
                log.warning("could not log the event (attempt %d), will retry: %s", attempts, error, extra=_at(record))
            else:
                self._hold(record, attempts, error)
            return False
        self._failures.pop(key, None)
        self._said.pop(key, None)
        self._release(TopicPartition(record.topic, record.partition))
        return True

    def _hold(self, record: ConsumerRecord, attempts: int, error: BaseException) -> None:
        key = (record.topic, record.partition, record.offset)
        why = f"{type(error).__name__}: {str(error)[:200]}"
        now = time.monotonic()
        if now - self._said.get(key, -REPEAT_ERROR_EVERY_S) >= REPEAT_ERROR_EVERY_S:
            self._said[key] = now
            log.error(
                "cannot log the event at %s[%d]@%d (attempt %d): %s; the partition waits at it (nothing is skipped)"
                " until it can be logged: fix the cause and restart the audit service",
                record.topic,
                record.partition,
                record.offset,
                attempts,
                why,
                exc_info=error,
                extra=_at(record),
            )
        self._held[TopicPartition(record.topic, record.partition)] = (
            f"{record.topic}[{record.partition}]@{record.offset} cannot be logged ({why}); the partition waits"
        )
        self._health("; ".join(self._held[p] for p in sorted(self._held)))

    def _release(self, partition: TopicPartition) -> None:
        if self._held.pop(partition, None) is not None:
            log.info("the held event of %s[%d] is logged; the partition goes on", partition.topic, partition.partition)
            self._health("; ".join(self._held[p] for p in sorted(self._held)) or None)


def _at(record: ConsumerRecord) -> dict[str, object]:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}


def received(record: ConsumerRecord) -> Received:
    return Received(bytes(record.value or b""), Source(record.topic, record.partition, record.offset))


class SequencerWorker:
    def __init__(
        self,
        *,
        sequencer: Sequencer,
        checkpointer: Checkpointer,
        make_consumer: Callable[[], KafkaConsumer],
        lease_ttl_s: float,
        health: Health = lambda problem: None,
    ) -> None:
        self._sequencer = sequencer
        self._checkpointer = checkpointer
        self._make_consumer = make_consumer
        self._health = health
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

    def _sequence(self) -> None:
        loop = BatchConsumerLoop(self._make_consumer(), self._append, self._health)
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
            self._health(None)  # whoever consumes next reads any held event again and says so

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
