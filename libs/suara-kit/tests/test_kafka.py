"""The consume-handle-commit policy: what is retried, what is dead-lettered, and which offsets are committed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kafka import OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
)
from pymongo.errors import AutoReconnect

from suara_kit import codec
from suara_kit.codec import NewerSchemaVersion, UndecodableEvent, UnknownEventType
from suara_kit.kafka import (
    BrokerProbe,
    ConsumerLoop,
    DeadLetters,
    Disposition,
    PoisonMessage,
    dead_letter_headers,
    disposition,
    suara_topics,
)
from suara_kit.settings import CommonSettings

TOPIC = "suara.complaints.events.v1"
P0 = TopicPartition(TOPIC, 0)
P1 = TopicPartition(TOPIC, 1)


def record(partition: TopicPartition, offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(
        topic=partition.topic,
        partition=partition.partition,
        leader_epoch=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"complaint",
        value=value,
        headers=[],
        checksum=None,
        serialized_key_size=9,
        serialized_value_size=len(value),
        serialized_header_size=0,
    )


class FakeConsumer:
    """Serves scripted poll() batches (an exception in the script is raised by poll). Once the script is used up
    it stops the loop, as SIGTERM would. `commit_errors` are raised by the next commits, one each."""

    def __init__(self, batches: list[dict[TopicPartition, list[ConsumerRecord]] | BaseException]) -> None:
        self.batches = list(batches)
        self.commit_errors: list[BaseException] = []
        self.commits: list[dict[TopicPartition, OffsetAndMetadata]] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.closed_with: list[bool] = []
        self.on_exhausted: Callable[[], None] = lambda: None
        self.paused_partitions: set[TopicPartition] = set()

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[ConsumerRecord]]:
        if not self.batches:
            self.on_exhausted()
            return {}
        batch = self.batches.pop(0)
        if isinstance(batch, BaseException):
            raise batch
        # As KafkaConsumer: a paused partition's records are not returned.
        return {tp: records for tp, records in batch.items() if tp not in self.paused_partitions}

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused_partitions.update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_partitions)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        if self.commit_errors:
            raise self.commit_errors.pop(0)
        self.commits.append(offsets)

    def close(self, autocommit: bool = True) -> None:
        self.closed_with.append(autocommit)

    def committed_offsets(self) -> list[tuple[int, int]]:
        return [(tp.partition, meta.offset) for commit in self.commits for tp, meta in commit.items()]


class RecordingDeadLetters(DeadLetters):
    def __init__(self, failures: list[BaseException] | None = None) -> None:
        super().__init__(producer=None, topic="suara.complaints.deadletter.v1", group="test-group")
        self.sent: list[tuple[ConsumerRecord, BaseException]] = []
        self.failures = list(failures or [])

    def send(self, record: ConsumerRecord, error: BaseException) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((record, error))


class ScriptedHandler:
    """Decodes each record; raises the scripted error for an offset while any are left for it."""

    def __init__(self, errors: dict[tuple[int, int], list[BaseException]] | None = None) -> None:
        self.errors = {key: list(value) for key, value in (errors or {}).items()}
        self.handled: list[tuple[int, int]] = []
        self.calls: list[tuple[int, int]] = []

    def __call__(self, message: ConsumerRecord) -> None:
        key = (message.partition, message.offset)
        self.calls.append(key)
        pending = self.errors.get(key)
        if pending:
            raise pending.pop(0)
        codec.decode(bytes(message.value))
        self.handled.append(key)


def run_loop(
    batches: list[dict[TopicPartition, list[ConsumerRecord]] | BaseException],
    handler: ScriptedHandler,
    dead_letters: RecordingDeadLetters | None = None,
    max_attempts: int = 3,
    commit_errors: list[BaseException] | None = None,
) -> tuple[FakeConsumer, RecordingDeadLetters]:
    consumer = FakeConsumer(batches)
    consumer.commit_errors = list(commit_errors or [])
    dead_letters = dead_letters or RecordingDeadLetters()
    loop = ConsumerLoop(consumer, handler, dead_letters, max_attempts=max_attempts, backoff_seconds=0)
    consumer.on_exhausted = loop.stop
    loop.run()
    return consumer, dead_letters


@pytest.fixture
def good(event_factory) -> bytes:
    return codec.encode(event_factory())


# --- disposition -------------------------------------------------------------------------------------------


def test_an_undecodable_message_is_dead_lettered_at_once() -> None:
    assert disposition(UndecodableEvent("payload: not set"), attempts=1, max_attempts=3) is Disposition.DEAD_LETTER


@pytest.mark.parametrize(
    "error",
    [
        UnknownEventType("event_type: 'Lifecycle.X' is unknown", "Lifecycle.X", 1),
        NewerSchemaVersion("schema_version: 2 is newer", "ComplaintRouted", 2, 1),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_event_too_new_for_this_code_pauses_and_is_never_dead_lettered(error: BaseException) -> None:
    assert disposition(error, attempts=1, max_attempts=3) is Disposition.PAUSE
    assert disposition(error, attempts=100, max_attempts=3) is Disposition.PAUSE


def test_a_poison_message_is_dead_lettered_at_once() -> None:
    assert disposition(PoisonMessage("never works"), attempts=1, max_attempts=3) is Disposition.DEAD_LETTER


@pytest.mark.parametrize(
    "error",
    [AutoReconnect("store unreachable"), KafkaTimeoutError("broker"), ConnectionRefusedError(), TimeoutError()],
    ids=lambda e: type(e).__name__,
)
def test_infrastructure_failures_are_retried_forever(error: BaseException) -> None:
    assert disposition(error, attempts=100, max_attempts=3) is Disposition.RETRY


def test_other_errors_are_retried_until_max_attempts_then_dead_lettered() -> None:
    error = ValueError("a bug")

    assert [disposition(error, attempts, max_attempts=3) for attempts in (1, 2, 3, 4)] == [
        Disposition.RETRY,
        Disposition.RETRY,
        Disposition.DEAD_LETTER,
        Disposition.DEAD_LETTER,
    ]


def test_dead_letter_headers_say_why_and_where_from() -> None:
    headers = dict(dead_letter_headers(ValueError("bad sequence"), TOPIC, 2, 41, "suara-audit"))

    assert headers == {
        "suara.error": b"bad sequence",
        "suara.error_type": b"ValueError",
        "suara.source_topic": TOPIC.encode(),
        "suara.source_partition": b"2",
        "suara.source_offset": b"41",
        "suara.consumer_group": b"suara-audit",
    }


def test_dead_letter_headers_cut_a_very_long_error_message() -> None:
    headers = dict(dead_letter_headers(ValueError("x" * 10_000), TOPIC, 0, 0, "g"))

    assert len(headers["suara.error"]) == 4000


def test_the_events_topic_and_dead_letter_topic_keep_their_messages_forever() -> None:
    settings = CommonSettings("k:9092", "mongodb://m", "suara", "events.v1", "deadletter.v1", 3, 3, "INFO")

    events, dead = suara_topics(settings)

    assert (events.name, events.partitions, events.replication) == ("events.v1", 3, 3)
    assert (dead.name, dead.partitions) == ("deadletter.v1", 1)
    for spec in (events, dead):
        assert spec.config["retention.ms"] == "-1"
        assert spec.config["retention.bytes"] == "-1"
        assert spec.config["min.insync.replicas"] == "2"


# --- the loop --------------------------------------------------------------------------------------------


def test_a_poison_message_is_dead_lettered_and_the_next_message_still_handled(good: bytes) -> None:
    handler = ScriptedHandler()

    consumer, dead_letters = run_loop([{P0: [record(P0, 0, b"\xff\xff garbage"), record(P0, 1, good)]}], handler)

    assert [(r.offset, type(e)) for r, e in dead_letters.sent] == [(0, UndecodableEvent)]
    assert handler.handled == [(0, 1)]
    assert consumer.committed_offsets() == [(0, 2)]
    assert consumer.seeks == []


def test_offsets_are_committed_only_past_handled_messages(good: bytes) -> None:
    handler = ScriptedHandler(errors={(0, 1): [AutoReconnect("primary stepped down")]})
    first_poll = {P0: [record(P0, 0, good), record(P0, 1, good), record(P0, 2, good)]}
    after_seek = {P0: [record(P0, 1, good), record(P0, 2, good)]}

    consumer, dead_letters = run_loop([first_poll, after_seek], handler)

    assert handler.calls == [(0, 0), (0, 1), (0, 1), (0, 2)]
    assert handler.handled == [(0, 0), (0, 1), (0, 2)]
    assert consumer.committed_offsets() == [(0, 1), (0, 3)]
    assert consumer.seeks == [(P0, 1)]
    assert dead_letters.sent == []


def test_a_transient_error_seeks_back_and_commits_nothing_past_it(good: bytes) -> None:
    handler = ScriptedHandler(errors={(0, 5): [OSError("connection reset")] * 2})
    batch = {P0: [record(P0, 5, good), record(P0, 6, good)]}

    consumer, dead_letters = run_loop([batch, batch], handler)

    assert consumer.seeks == [(P0, 5), (P0, 5)]
    assert consumer.commits == []
    assert handler.handled == []
    assert dead_letters.sent == []


def test_a_transient_error_is_never_dead_lettered_however_often_it_happens(good: bytes) -> None:
    handler = ScriptedHandler(errors={(0, 0): [AutoReconnect("down")] * 10})
    batch = {P0: [record(P0, 0, good)]}

    consumer, dead_letters = run_loop([batch] * 11, handler, max_attempts=3)

    assert dead_letters.sent == []
    assert len(consumer.seeks) == 10
    assert handler.handled == [(0, 0)]
    assert consumer.committed_offsets() == [(0, 1)]


def test_a_failing_handler_is_retried_then_dead_lettered_at_max_attempts(good: bytes) -> None:
    handler = ScriptedHandler(errors={(0, 0): [ValueError("a bug")] * 5})
    batch = {P0: [record(P0, 0, good), record(P0, 1, good)]}

    consumer, dead_letters = run_loop([batch, batch, batch], handler, max_attempts=3)

    assert handler.calls == [(0, 0), (0, 0), (0, 0), (0, 1)]
    assert [(r.offset, str(e)) for r, e in dead_letters.sent] == [(0, "a bug")]
    assert consumer.seeks == [(P0, 0), (P0, 0)]
    assert consumer.committed_offsets() == [(0, 2)]


def test_a_retry_in_one_partition_does_not_hold_up_another(good: bytes) -> None:
    handler = ScriptedHandler(errors={(0, 0): [AutoReconnect("down")]})

    consumer, _ = run_loop([{P0: [record(P0, 0, good)], P1: [record(P1, 0, good), record(P1, 1, good)]}], handler)

    assert handler.handled == [(1, 0), (1, 1)]
    assert consumer.seeks == [(P0, 0)]
    assert consumer.committed_offsets() == [(1, 2)]


def test_the_consumer_is_closed_without_autocommit_when_the_loop_stops(good: bytes) -> None:
    consumer, _ = run_loop([{P0: [record(P0, 0, good)]}], ScriptedHandler())

    assert consumer.closed_with == [False]


def test_a_committed_offset_is_the_next_offset_to_read() -> None:
    consumer, _ = run_loop([{P0: [record(P0, 9, b"\x0a\xff")]}], ScriptedHandler())

    (commit,) = consumer.commits
    assert commit == {P0: OffsetAndMetadata(10, "", -1)}


def test_a_dead_letter_topic_that_is_briefly_unreachable_does_not_stop_the_loop(good: bytes) -> None:
    handler = ScriptedHandler()
    dead_letters = RecordingDeadLetters(failures=[KafkaTimeoutError("dead-letter topic not acknowledged")])
    batch = {P0: [record(P0, 0, b"\xff garbage"), record(P0, 1, good)]}

    consumer, _ = run_loop([batch, batch], handler, dead_letters)

    assert [r.offset for r, _ in dead_letters.sent] == [0]
    assert handler.handled == [(0, 1)]
    assert consumer.committed_offsets() == [(0, 2)]


# --- riding out the broker ---------------------------------------------------------------------------------


def test_a_commit_refused_after_a_rebalance_does_not_stop_the_loop(good: bytes) -> None:
    handler = ScriptedHandler()
    batches = [{P0: [record(P0, 0, good)]}, {P0: [record(P0, 1, good)]}]

    consumer, _ = run_loop(batches, handler, commit_errors=[CommitFailedError()])

    assert handler.handled == [(0, 0), (0, 1)]
    assert consumer.committed_offsets() == [(0, 2)]
    assert consumer.closed_with == [False]


def test_a_broker_outage_during_poll_and_commit_does_not_stop_the_loop(good: bytes) -> None:
    handler = ScriptedHandler()
    outage = KafkaConnectionError("127.0.0.1:19092: connection refused")
    batches = [{P0: [record(P0, 0, good)]}, outage, NodeNotReadyError("0"), outage, {P0: [record(P0, 1, good)]}]

    consumer, _ = run_loop(batches, handler, commit_errors=[KafkaTimeoutError("commit timed out after 30000 ms")])

    assert handler.handled == [(0, 0), (0, 1)]
    assert consumer.committed_offsets() == [(0, 2)]


def test_a_seek_on_a_partition_taken_away_mid_batch_does_not_stop_the_loop(good: bytes) -> None:
    handler = ScriptedHandler(errors={(0, 0): [AutoReconnect("down")]})
    consumer = FakeConsumer([{P0: [record(P0, 0, good)]}, {P1: [record(P1, 0, good)]}])

    def revoked(partition: TopicPartition, offset: int) -> None:
        raise IllegalStateError(f"No current assignment for partition {partition}")

    consumer.seek = revoked
    loop = ConsumerLoop(consumer, handler, RecordingDeadLetters(), backoff_seconds=0)
    consumer.on_exhausted = loop.stop
    loop.run()

    assert handler.handled == [(1, 0)]
    assert consumer.committed_offsets() == [(1, 1)]


def test_a_loop_that_raised_can_be_run_again_with_the_same_consumer(good: bytes) -> None:
    handler = ScriptedHandler()
    consumer = FakeConsumer([RuntimeError("a bug in the loop's surroundings"), {P0: [record(P0, 0, good)]}])
    loop = ConsumerLoop(consumer, handler, RecordingDeadLetters(), backoff_seconds=0)
    consumer.on_exhausted = loop.stop

    with pytest.raises(RuntimeError):
        loop.run()
    assert consumer.closed_with == []
    loop.run()

    assert handler.handled == [(0, 0)]
    assert consumer.closed_with == [False]


class PositionedConsumer:
    """A consumer over a fixed log per partition that keeps a read position per partition, as KafkaConsumer does:
    poll() returns what lies past each position and moves the positions past it, before anything is handled;
    seek() moves a position back; a position is where the next poll reads. Scripted errors for commits."""

    def __init__(self, log: dict[TopicPartition, list[bytes]], commit_errors: list[BaseException]) -> None:
        self.log = log
        self.positions = dict.fromkeys(log, 0)
        self.commit_errors = list(commit_errors)
        self.committed: dict[TopicPartition, int] = {}
        self.on_idle: Callable[[], None] = lambda: None
        self.paused_partitions: set[TopicPartition] = set()

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[ConsumerRecord]]:
        batch = {
            tp: [record(tp, offset, values[offset]) for offset in range(self.positions[tp], len(values))]
            for tp, values in self.log.items()
            if self.positions[tp] < len(values) and tp not in self.paused_partitions
        }
        if not batch:
            self.on_idle()
        for tp, records in batch.items():
            self.positions[tp] = records[-1].offset + 1
        return batch

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.positions[partition] = offset

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused_partitions.update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_partitions)

    def rebalance(self) -> None:
        """As a group rebalance that takes every partition away and gives it back: assigned afresh, unpaused, at its
        last committed offset (kafka-python keeps the pause only of a partition that stays assigned)."""
        self.paused_partitions.clear()
        self.positions = {tp: self.committed.get(tp, 0) for tp in self.log}

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        if self.commit_errors:
            raise self.commit_errors.pop(0)
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})

    def close(self, autocommit: bool = True) -> None:
        pass


@pytest.mark.parametrize(
    "commit_error",
    [KafkaConnectionError("socket disconnected"), KafkaTimeoutError("commit timed out"), CommitFailedError()],
)
def test_a_commit_that_fails_mid_batch_skips_none_of_the_rest_of_the_batch(
    good: bytes, commit_error: BaseException
) -> None:
    # Measured: the broker stopped while a batch of three partitions was being handled; the commit after the
    # first partition failed, the other two partitions' messages were never handled (their position had moved
    # past them) and later commits went past them: the audit log missed those events for good.
    partitions = [TopicPartition(TOPIC, p) for p in range(3)]
    consumer = PositionedConsumer({tp: [good, good] for tp in partitions}, commit_errors=[commit_error])
    handler = ScriptedHandler()
    loop = ConsumerLoop(consumer, handler, RecordingDeadLetters(), backoff_seconds=0)
    consumer.on_idle = loop.stop

    loop.run()

    assert sorted(set(handler.handled)) == [(p, o) for p in range(3) for o in range(2)]
    # The partition whose commit failed keeps its last commit (its messages come again after a restart,
    # harmlessly: effects are idempotent); the others are committed to their end.
    assert consumer.committed == {tp: 2 for tp in partitions[1:]}


def test_a_loop_that_raised_mid_batch_reads_the_rest_of_the_batch_again_when_run_again(good: bytes) -> None:
    partitions = [TopicPartition(TOPIC, p) for p in range(2)]
    consumer = PositionedConsumer({tp: [good] for tp in partitions}, commit_errors=[RuntimeError("a bug")])
    handler = ScriptedHandler()
    loop = ConsumerLoop(consumer, handler, RecordingDeadLetters(), backoff_seconds=0)
    consumer.on_idle = loop.stop

    with pytest.raises(RuntimeError):
        loop.run()
    loop.run()  # as RunningServer.run_worker does

    assert sorted(set(handler.handled)) == [(0, 0), (1, 0)]
    assert consumer.committed == {partitions[1]: 1}


def test_a_retry_seek_on_a_partition_no_longer_assigned_does_not_stop_the_loop(good: bytes) -> None:
    # kafka-python raises ValueError("Unassigned partition") for it; the partition's new owner reads it.
    handler = ScriptedHandler(errors={(0, 0): [AutoReconnect("down")]})
    consumer = FakeConsumer([{P0: [record(P0, 0, good)], P1: [record(P1, 0, good)]}])

    def unassigned(partition: TopicPartition, offset: int) -> None:
        raise ValueError("Unassigned partition")

    consumer.seek = unassigned
    loop = ConsumerLoop(consumer, handler, RecordingDeadLetters(), backoff_seconds=0)
    consumer.on_exhausted = loop.stop
    loop.run()

    assert handler.handled == [(1, 0)]
    assert consumer.committed_offsets() == [(1, 1)]


def test_the_broker_probe_raises_when_no_broker_answers() -> None:
    probe = BrokerProbe("127.0.0.1:1", timeout_seconds=1.0)

    with pytest.raises(Exception):  # noqa: B017  # kafka-python raises NoBrokersAvailable or a timeout
        probe()


# --- events too new for this code: deploy consumers before producers --------------------------------------------


@pytest.fixture
def too_new(event_factory) -> bytes:
    """An event of a type this code does not know, as a newer producer writes it."""
    from suara.v1 import events_pb2 as pb

    envelope = pb.EventEnvelope()
    envelope.ParseFromString(codec.encode(event_factory()))
    envelope.ClearField("payload")
    envelope.event_type = "Lifecycle.ComplaintTeleported"
    envelope.schema_version = 1
    return envelope.SerializeToString() + b"\x9a\x06\x02\x08\x01"  # field 99, as an unknown payload case


class HealthReports:
    def __init__(self) -> None:
        self.reports: list[tuple[str, str | None]] = []

    def __call__(self, component: str, problem: str | None) -> None:
        self.reports.append((component, problem))


def test_an_event_of_an_unknown_type_pauses_its_partition_and_is_neither_skipped_nor_dead_lettered(
    good: bytes, too_new: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    handler, health = ScriptedHandler(), HealthReports()
    consumer = PositionedConsumer({P0: [good, too_new, good], P1: [good, good]}, commit_errors=[])
    dead_letters = RecordingDeadLetters()
    loop = ConsumerLoop(consumer, handler, dead_letters, backoff_seconds=0, report=health)
    consumer.on_idle = loop.stop

    loop.run()

    # The message before it is handled and committed; it and everything after it in its partition wait.
    assert handler.handled == [(0, 0), (1, 0), (1, 1)]
    assert consumer.committed == {P0: 1, P1: 2}
    assert consumer.positions[P0] == 1 and consumer.paused_partitions == {P0}
    assert dead_letters.sent == []
    assert list(loop.paused()) == [P0]
    # One clear line, and the health detail names the type, version, partition and offset.
    (line,) = [r for r in caplog.records if r.levelname == "ERROR"]
    expected = (
        "cannot read event type 'Lifecycle.ComplaintTeleported' schema version 1 at suara.complaints.events.v1[0] "
        "offset 1: this consumer's code is older than the producer's; partition paused, nothing skipped "
        "(deploy consumers before producers)"
    )
    assert line.getMessage() == expected
    assert health.reports == [("consumer:suara.complaints.events.v1[0]", expected)]


def test_a_paused_partition_is_read_again_after_a_rebalance_and_pauses_again_if_it_must(
    good: bytes, too_new: bytes
) -> None:
    handler, health = ScriptedHandler(), HealthReports()
    consumer = PositionedConsumer({P0: [good, too_new, good]}, commit_errors=[])
    loop = ConsumerLoop(consumer, handler, RecordingDeadLetters(), backoff_seconds=0, report=health)
    idle = iter([consumer.rebalance, loop.stop])
    consumer.on_idle = lambda: next(idle)()

    loop.run()

    assert handler.calls == [(0, 0), (0, 1), (0, 1)]  # the event too new was read again after the rebalance
    assert handler.handled == [(0, 0)]
    assert consumer.committed == {P0: 1}
    component = "consumer:suara.complaints.events.v1[0]"
    assert [(c, p is None) for c, p in health.reports] == [(component, False), (component, True), (component, False)]


def test_a_newer_schema_version_pauses_the_partition_too(event_factory, good: bytes) -> None:
    from suara.v1 import events_pb2 as pb

    envelope = pb.EventEnvelope()
    envelope.ParseFromString(codec.encode(event_factory()))
    envelope.schema_version = codec.CURRENT_SCHEMA_VERSION + 1
    handler = ScriptedHandler()

    consumer, dead_letters = run_loop(
        [{P0: [record(P0, 4, envelope.SerializeToString()), record(P0, 5, good)]}], handler
    )

    assert handler.handled == []
    assert consumer.paused_partitions == {P0}
    assert consumer.seeks == [(P0, 4)]
    assert consumer.commits == [] and dead_letters.sent == []


def test_a_lifecycle_event_is_known_to_this_code_and_handled_as_usual(event_factory) -> None:
    from suara_complaint import events as ev
    from suara_complaint.policy import working_days
    from suara_complaint.testing import COORDINATOR

    change = ev.ComplaintVerified(
        event_id=str(event_factory().event_id),
        complaint_id=str(event_factory().complaint_id),
        at=event_factory().occurred_at,
        actor=COORDINATOR,
        command_key="verify-1",
        kind=ev.ResolutionKind.PENGADUAN,
        resolve_within=working_days(5),
    )
    value = codec.encode(codec.lifecycle_event(change, 2, correlation_id="c", causation_id="c", producer="p"))
    handler = ScriptedHandler()

    consumer, _ = run_loop([{P0: [record(P0, 0, value)]}], handler)

    assert handler.handled == [(0, 0)] and consumer.paused_partitions == set()
    assert consumer.committed_offsets() == [(0, 1)]
