"""Kafka plumbing: the producer we trust, topic creation, the consume-handle-commit loop with a dead-letter topic
and a pause for events too new for this code."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from pymongo.errors import PyMongoError

from suara_kit.registry import EventTooNew, UndecodableEvent
from suara_kit.settings import CommonSettings

log = logging.getLogger(__name__)


# kafka-python backs off reconnecting up to 30 s by default: after a broker outage that kept every client
# failing for up to half a minute after the broker was back (14 s of submit timeouts were measured). 1 s is
# gentle enough on a broker that is starting and quick to notice it is up.
RECONNECT_BACKOFF_MAX_MS = 1_000


def make_producer(bootstrap: str, client_id: str, max_block_ms: int = 5_000) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica: no event is acknowledged before it is durable.

    `max_block_ms` bounds how long send() itself may block (waiting for metadata or buffer space while the broker
    is unreachable), so a caller with a deadline still gets an answer within it."""
    return KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        retries=2**31 - 1,
        delivery_timeout_ms=120_000,
        max_block_ms=max_block_ms,
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
    )


def make_consumer(bootstrap: str, group: str, topic: str) -> KafkaConsumer:
    """A consumer that commits only when told (after the effect is durable) and starts a new group at the
    beginning of the log. A member that dies is replaced after 10 s, not Kafka's default 45 s."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        group_id=group,
        client_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
    )
    consumer.subscribe([topic])
    return consumer


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    config: dict[str, str] = field(default_factory=dict)


def suara_topics(settings: CommonSettings) -> list[TopicSpec]:
    # The events topic is the source of truth that projections are rebuilt from: never delete from it.
    forever = {
        "retention.ms": "-1",
        "retention.bytes": "-1",
        "min.insync.replicas": str(min(2, settings.topic_replication)),
    }
    return [
        TopicSpec(settings.events_topic, settings.topic_partitions, settings.topic_replication, forever),
        TopicSpec(settings.deadletter_topic, 1, settings.topic_replication, forever),
    ]


def ensure_topics(bootstrap: str, specs: list[TopicSpec], client_id: str = "suara-admin") -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id=client_id)
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(s.name, num_partitions=s.partitions, replication_factor=s.replication, topic_configs=s.config)
            for s in specs
            if s.name not in existing
        ]
        if missing:
            # Another service may create one between our list and create: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
            log.info("created topics %s", [t.name for t in missing])
    finally:
        admin.close()


class BrokerProbe:
    """A check that raises unless a broker answers a metadata request within `timeout_seconds`. The admin client
    is made on first use and made again after a failure (kafka-python cannot make one while no broker answers)."""

    def __init__(self, bootstrap: str, timeout_seconds: float = 3.0) -> None:
        self._bootstrap = bootstrap.split(",")
        self._timeout_ms = int(timeout_seconds * 1000)
        self._admin: KafkaAdminClient | None = None

    def __call__(self) -> None:
        try:
            if self._admin is None:
                self._admin = KafkaAdminClient(
                    bootstrap_servers=self._bootstrap,
                    client_id="suara-health-probe",
                    request_timeout_ms=self._timeout_ms,
                    bootstrap_timeout_ms=self._timeout_ms,
                    reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
                )
            self._admin.describe_cluster()
        except Exception:
            if self._admin is not None:
                with contextlib.suppress(Exception):
                    self._admin.close()
                self._admin = None
            raise


class PoisonMessage(Exception):
    """A message that can never be processed (as opposed to a failure that a retry may cure)."""


# Failures of the infrastructure itself: retried for as long as it takes, never dead-lettered.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (PyMongoError, KafkaError, OSError, TimeoutError)

Handler = Callable[[ConsumerRecord], None]
# Says what is wrong with a component of the service (None: nothing); RunningServer.report has this shape.
HealthReport = Callable[[str, str | None], None]


class Disposition(Enum):
    DEAD_LETTER = "dead-letter"
    RETRY = "retry"
    PAUSE = "pause"  # wait at this message until code that reads it is deployed


def too_new_message(error: EventTooNew, topic: str, partition: int, offset: int) -> str:
    """The one line a consumer logs, and its health says, when it stops at an event too new for its code."""
    return (
        f"cannot read {error.what} at {topic}[{partition}] offset {offset}: this consumer's code is older than "
        f"the producer's; partition paused, nothing skipped (deploy consumers before producers)"
    )


def disposition(error: BaseException, attempts: int, max_attempts: int) -> Disposition:
    """What to do with a message whose handler raised `error` on its `attempts`-th try.

    An event too new for this code (an unknown event type, a newer schema version) pauses its partition: it is
    not the message's fault, and a consumer deployed with newer code reads it. Undecodable and poison messages are
    dead-lettered at once; infrastructure failures (store or broker unreachable) are retried for as long as it
    takes, so nothing is lost; anything else is retried a few times and then dead-lettered, because a bug must not
    stall a partition."""
    if isinstance(error, EventTooNew):  # before UndecodableEvent, its base
        return Disposition.PAUSE
    if isinstance(error, UndecodableEvent | PoisonMessage):
        return Disposition.DEAD_LETTER
    if isinstance(error, TRANSIENT_ERRORS):
        return Disposition.RETRY
    return Disposition.RETRY if attempts < max_attempts else Disposition.DEAD_LETTER


def dead_letter_headers(
    error: BaseException, topic: str, partition: int, offset: int, group: str
) -> list[tuple[str, bytes]]:
    return [
        ("suara.error", str(error).encode()[:4000]),
        ("suara.error_type", type(error).__name__.encode()),
        ("suara.source_topic", topic.encode()),
        ("suara.source_partition", str(partition).encode()),
        ("suara.source_offset", str(offset).encode()),
        ("suara.consumer_group", group.encode()),
    ]


class DeadLetters:
    """Sends a message that could not be processed, untouched, to the dead-letter topic with why in its headers."""

    def __init__(self, producer: KafkaProducer, topic: str, group: str) -> None:
        self._producer = producer
        self._topic = topic
        self._group = group

    def send(self, record: ConsumerRecord, error: BaseException) -> None:
        headers = dead_letter_headers(error, record.topic, record.partition, record.offset, self._group)
        self._producer.send(self._topic, key=record.key, value=record.value, headers=headers).get(timeout=30)
        log.warning(
            "dead-lettered a message: %s",
            error,
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
        )


class ConsumerLoop:
    """Poll, handle each message, commit only what was handled. One bad message never stops the loop.

    What happens to a failed message is `disposition`'s call; a retried message is read again from the broker
    after a pause, and nothing after it in its partition is committed before it. A message too new for this code
    pauses its partition (KafkaConsumer.pause; other partitions go on) with the consumer positioned at it, and
    `report` (RunningServer.report) says NOT_SERVING for the component "consumer:<topic>[<partition>]" for as long
    as this consumer holds the partition paused (a partition that a rebalance keeps here stays paused; one it takes
    away is read again by its new owner, from the last commit, which pauses in turn if its code is as old).
    """

    def __init__(
        self,
        consumer: KafkaConsumer,
        handler: Handler,
        dead_letters: DeadLetters,
        max_attempts: int = 3,
        backoff_seconds: float = 0.5,
        report: HealthReport | None = None,
    ) -> None:
        self._consumer = consumer
        self._handler = handler
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._stopping = threading.Event()
        self._failures: dict[tuple[str, int, int], int] = {}
        # Per partition of the batch being processed: the first offset not handled yet. poll() has already moved
        # the consumer's position past the whole batch, so if processing stops early (a commit that fails while
        # the broker goes away, a bug), these are where the consumer must read again: otherwise the rest of the
        # batch would be skipped, and committed past by the next handled message (lost for good).
        self._unfinished: dict[TopicPartition, int] = {}
        self._report: HealthReport = report or (lambda component, problem: None)
        self._paused: dict[TopicPartition, str] = {}  # partitions waiting at an event too new for us: the health detail

    def report_health_to(self, report: HealthReport) -> None:
        """Where to say which partition waits at an event too new for this code (RunningServer.report)."""
        self._report = report

    def paused(self) -> dict[TopicPartition, str]:
        """The partitions paused at an event too new for this code, and why."""
        return dict(self._paused)

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Consume until stop(). Rides out the broker being away (for minutes, if need be) and a commit refused
        after a rebalance. Anything else it raises; it may then be run again (the consumer is closed only when
        stopping), which is what RunningServer.run_worker does."""
        try:
            while not self._stopping.is_set():
                try:
                    batch = self._consumer.poll(timeout_ms=500, max_records=200)
                    self._forget_resumed()
                    self._unfinished = {tp: records[0].offset for tp, records in batch.items() if records}
                    for partition, records in batch.items():
                        self._process_partition(partition, records)
                        self._unfinished.pop(partition, None)
                except CommitFailedError as error:
                    # The group rebalanced while we were handling: the partition may be someone else's now. What
                    # was handled stays handled (every effect is idempotent); whoever owns the partition resumes
                    # from the last committed offset, so at worst a few messages are handled twice, harmlessly.
                    log.warning("commit refused after a rebalance; polling again: %s", error)
                except KafkaError as error:
                    # The broker is unreachable, or a partition was taken away mid-batch. Nothing past the last
                    # successful commit is committed; poll again after a pause (kafka-python reconnects itself).
                    log.warning("Kafka unavailable (%s: %s); polling again", type(error).__name__, error)
                    self._stopping.wait(self._backoff)
                finally:
                    self._rewind_unfinished()
        finally:
            if self._stopping.is_set():
                self._consumer.close(autocommit=False)

    def _pause(self, record: ConsumerRecord, error: EventTooNew) -> None:
        partition = TopicPartition(record.topic, record.partition)
        detail = too_new_message(error, record.topic, record.partition, record.offset)
        self._seek(partition, record.offset)  # the next read of this partition, after a resume, starts here
        self._consumer.pause(partition)
        self._paused[partition] = detail
        log.error(detail, extra={"topic": record.topic, "partition": record.partition, "offset": record.offset})
        self._report(_component(partition), detail)

    def _forget_resumed(self) -> None:
        """Forget the partitions a rebalance took away (kafka-python keeps the pause of a partition that stays
        assigned, and starts one assigned afresh unpaused, from the last commit: read again, paused again if need
        be)."""
        if not self._paused:
            return
        still = self._consumer.paused()
        for partition in [p for p in self._paused if p not in still]:
            del self._paused[partition]
            log.info("partition %s no longer paused (rebalanced); reading it again", partition)
            self._report(_component(partition), None)

    def _rewind_unfinished(self) -> None:
        """Point the consumer back at every message of the last batch that was not handled (see _unfinished)."""
        unfinished, self._unfinished = self._unfinished, {}
        for partition, offset in unfinished.items():
            log.info(
                "reading again from an unhandled message",
                extra={"topic": partition.topic, "partition": partition.partition, "offset": offset},
            )
            self._seek(partition, offset)

    def _seek(self, partition: TopicPartition, offset: int) -> None:
        try:
            self._consumer.seek(partition, offset)
        except (ValueError, KafkaError) as error:
            # No longer assigned to us (a rebalance): its new owner starts from the last committed offset, which
            # is never past a message that was not handled. kafka-python says so with a ValueError.
            log.info("not seeking %s: %s", partition, error)

    def _process_partition(self, partition: TopicPartition, records: list[ConsumerRecord]) -> None:
        handled_up_to: int | None = None
        for record in records:
            if self._stopping.is_set():
                break
            if not self._handle(record):
                if partition in self._paused:
                    break  # too new for this code: positioned at it and paused, nothing after it handled
                # Not handled: read it again from here after a pause; later records of this partition wait.
                self._seek(partition, record.offset)
                self._stopping.wait(self._backoff)
                break
            handled_up_to = record.offset
            self._unfinished[partition] = record.offset + 1
        if handled_up_to is not None:
            # Every effect up to here is durable (handlers return only then), so the offset may move past it.
            self._consumer.commit({partition: OffsetAndMetadata(handled_up_to + 1, "", -1)})

    def _handle(self, record: ConsumerRecord) -> bool:
        context = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        key = (record.topic, record.partition, record.offset)
        try:
            self._handler(record)
        except Exception as error:
            attempts = self._failures.get(key, 0) + 1
            self._failures[key] = attempts
            verdict = disposition(error, attempts, self._max_attempts)
            if verdict is Disposition.PAUSE and isinstance(error, EventTooNew):
                self._failures.pop(key, None)
                self._pause(record, error)
                return False
            if verdict is Disposition.RETRY:
                log.warning(
                    "handler failed (attempt %d), will retry: %s",
                    attempts,
                    error,
                    extra=context,
                    exc_info=not isinstance(error, TRANSIENT_ERRORS),
                )
                return False
            try:
                self._dead_letters.send(record, error)
            except Exception as dead_letter_error:  # the dead-letter topic is unreachable: keep the message, retry
                log.warning("could not dead-letter, will retry: %s", dead_letter_error, extra=context)
                return False
        self._failures.pop(key, None)
        return True


def _component(partition: TopicPartition) -> str:
    return f"consumer:{partition.topic}[{partition.partition}]"
