"""The deadline clock: every few seconds, find the complaints whose next deadline firing is due and record the due
warnings, breaches, escalations and auto-closes through the one write path (ComplaintStore.execute).

Two workers (docs/decisions/0025-deadline-clock.md):
- the index projector (consumer group suara-casework-deadlines) keeps adapters.deadline_index up to date from the
  events topic;
- the clock asks the index what is due at the store's `now`, loads each such complaint afresh (the index may lag the
  journal by a relay hop), and executes suara_complaint.deadlines.due_commands as actor suara-deadline-clock.
Each command's idempotency key is derived from its deadline id and firing ("<deadline id>:breach"), so a restart, a
second clock, or an outage of hours after which everything due fires at once, records each firing exactly once: the
aggregate answers a repeat with no events. The clock keeps no state of its own beyond a cache of what it already
settled, so any number of clock processes may run (they waste work, never double-fire).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord

from suara_casework.adapters.deadline_index import DeadlineIndex, IndexedComplaint, MongoDeadlineIndex
from suara_complaint import CLOCK, Actor, due_commands, next_firing_at
from suara_kit import codec
from suara_kit.complaints import ComplaintStore, Refused, TooManyConflicts
from suara_kit.events import Event
from suara_kit.kafka import TRANSIENT_ERRORS, ConsumerLoop, DeadLetters, Handler, make_consumer
from suara_kit.mongo import MongoDatabase
from suara_kit.settings import CommonSettings

log = logging.getLogger(__name__)

DEADLINES_GROUP = "suara-casework-deadlines"
DEADLINE_INDEX_COLLECTION = "deadline_index"


def deadline_projector(index: DeadlineIndex) -> Handler:
    """The index projector's handler: decode the envelope, add it to the index (idempotent)."""

    def handle(record: ConsumerRecord) -> None:
        data = bytes(record.value)
        index.apply(codec.decode(data), data)

    return handle


@dataclass
class Tick:
    """What one pass of the clock did."""

    examined: int = 0
    recorded: list[Event] = field(default_factory=list)
    refused: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Settled:
    """A complaint the clock has brought up to date at index version `version`; nothing more fires until `next_at`."""

    version: int
    next_at: datetime | None


class DeadlineClock:
    """The worker: `run()` ticks every `interval_seconds` until `stop()` (serve_until_shutdown runs it like a
    ConsumerLoop); `tick()` is one pass, for tests and tools. `now` is the ComplaintStore's clock, the one decide
    uses, so the clock never asks for a firing the aggregate would call not yet due."""

    def __init__(
        self,
        index: DeadlineIndex,
        complaints: ComplaintStore,
        *,
        interval_seconds: float = 5.0,
        actor: Actor = CLOCK,
    ) -> None:
        self._index = index
        self._complaints = complaints
        self._interval = interval_seconds
        self._actor = actor
        self._stopping = threading.Event()
        # The index lags the journal: after the clock records a firing, the index still says it is due until the
        # event comes back through the topic. Remember what was settled, so each tick does not reload them all.
        self._settled: dict[str, _Settled] = {}

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Tick until stop(). The store or broker being away only delays the firings (the next tick records
        everything due by then); nothing here dies on one complaint."""
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                tick = self.tick()
                if tick.recorded:
                    log.info("deadline clock recorded %d events", len(tick.recorded))
            except TRANSIENT_ERRORS as error:
                log.warning("deadline clock: store unavailable (%s: %s); trying again", type(error).__name__, error)
            self._stopping.wait(self._interval)

    def tick(self) -> Tick:
        """Record every firing due now. Raises only when the store (or index) is unreachable."""
        context = self._complaints.context()
        now = context.now
        tick = Tick()
        seen = set()
        for entry in self._index.due(now):
            seen.add(entry.complaint_id)
            settled = self._settled.get(entry.complaint_id)
            if settled is not None and settled.version == entry.version and _not_yet(settled.next_at, now):
                continue
            tick.examined += 1
            try:
                self._settled[entry.complaint_id] = self._fire(entry, now, tick)
            except TRANSIENT_ERRORS:
                raise
            except Exception:  # a bug on one complaint must not stop the clock for all the others
                tick.failed += 1
                log.exception("deadline clock failed on a complaint", extra={"complaint_id": entry.complaint_id})
        # Forget complaints no longer due in the index (their events came through): the cache stays small.
        for complaint_id in set(self._settled) - seen:
            del self._settled[complaint_id]
        return tick

    def _fire(self, entry: IndexedComplaint, now: datetime, tick: Tick) -> _Settled:
        store = self._complaints
        state = store.load(entry.complaint_id).state
        commands = due_commands(state, now, store.policy, store.calendar, self._actor)
        for command in commands:
            try:
                outcome = store.execute(command)
            except Refused as refused:
                # Not due by the store's reckoning after all, or the stage ended in between: the next tick sees.
                tick.refused += 1
                log.warning(
                    "deadline command refused: %s",
                    refused.refusal.message,
                    extra={"complaint_id": entry.complaint_id, "idempotency_key": command.idempotency_key},
                )
                continue
            except TooManyConflicts as busy:
                tick.refused += 1
                log.warning("%s", busy, extra={"complaint_id": entry.complaint_id})
                continue
            tick.recorded.extend(outcome.recorded)
            for event in outcome.recorded:
                log.info(
                    "deadline fired: %s",
                    event.event_type,
                    extra={"complaint_id": event.complaint_id, "event_id": event.event_id},
                )
        if commands:
            state = store.load(entry.complaint_id).state
        return _Settled(entry.version, next_firing_at(state, store.policy, store.calendar))


def _not_yet(next_at: datetime | None, now: datetime) -> bool:
    return next_at is None or next_at > now


@dataclass(frozen=True)
class ClockWorkers:
    """What build_clock gives the composition root: two workers for serve_until_shutdown and the index."""

    index: MongoDeadlineIndex
    projector: ConsumerLoop
    clock: DeadlineClock

    def workers(self) -> dict[str, ConsumerLoop | DeadlineClock]:
        return {"deadline-index": self.projector, "deadline-clock": self.clock}


def build_clock(
    database: MongoDatabase,
    complaints: ComplaintStore,
    common: CommonSettings,
    producer: KafkaProducer,
    *,
    interval_seconds: float = 5.0,
) -> ClockWorkers:
    """The deadline index (indexes ensured), its projector and the clock, on `database` and the events topic.
    The index uses the store's policy and calendar, so index and aggregate agree on every due time."""
    index = MongoDeadlineIndex(database, complaints.policy, complaints.calendar, DEADLINE_INDEX_COLLECTION)
    index.ensure_indexes()
    projector = ConsumerLoop(
        make_consumer(common.kafka_bootstrap, DEADLINES_GROUP, common.events_topic),
        deadline_projector(index),
        DeadLetters(producer, common.deadletter_topic, DEADLINES_GROUP),
    )
    return ClockWorkers(index, projector, DeadlineClock(index, complaints, interval_seconds=interval_seconds))
