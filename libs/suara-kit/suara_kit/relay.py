"""The relay: the one publisher of complaint events, from the journal's outbox to the events topic, continuously.

Writers only append to the journal (suara_kit.complaints.ComplaintStore); the relay publishes. Every process that
writes events runs a relay, and a lease in the store lets exactly one of them publish at a time, so a complaint's
events reach the topic in sequence order whichever process wrote them, and keep reaching it while any writer is up.

Per round the lease holder reads a batch of the outbox (in (complaint, sequence) order, each round from where the
last one ended, so under a backlog every complaint's turn comes within one pass instead of the first complaints'
new events going first forever), publishes it and waits for the broker's acknowledgements, then has the journal mark
the acknowledged events published (which also empties their outbox entries). The holder renews its lease between
the steps of a round, so a slow round on a loaded store does not let another process take over mid-round.
Ordering per complaint rests on two rules: an event is sent only after its predecessor was acknowledged (in an
earlier round, or earlier in the same batch, which the idempotent producer keeps in order on the complaint's
partition); and a complaint whose event failed is held back for the rest of the round. When the predecessor is
neither published nor pending (a writer died between its two inserts), the relay puts it back in the outbox first.

A broker outage only delays publishing: events wait in the outbox, the health detail "relay" says how many and
since when, and the relay retries with a capped backoff. Events may reach the topic twice (a crash after the
broker's ack, before the mark, or two holders overlapping after a stall); every consumer deduplicates by event_id.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from suara_kit.journal import Journal, PendingEvent
from suara_kit.lease import Lease
from suara_kit.publishing import EventPublisher

log = logging.getLogger(__name__)

LEASE_NAME = "relay"
MARK_SLICE = 100
Report = Callable[[str | None], None]


class HealthReport(Protocol):
    def report(self, component: str, problem: str | None) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def owner_name(service: str) -> str:
    """A lease owner id that names the process, so the lease document says who relays."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class RelaySettings:
    batch: int = 500
    idle_poll_seconds: float = 0.05  # how soon an event appended by another process is seen
    lease_seconds: float = 10.0
    sweep_seconds: float = 600.0  # how often the holder looks for events a dead writer left out of the outbox
    max_backoff_seconds: float = 5.0
    summary_seconds: float = 60.0


@dataclass(frozen=True)
class LagSummary:
    events: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class Relay:
    def __init__(
        self,
        journal: Journal,
        publisher: EventPublisher,
        lease: Lease,
        owner: str,
        *,
        settings: RelaySettings = RelaySettings(),
        clock: Callable[[], datetime] = utc_now,
        report: Report = lambda problem: None,
    ) -> None:
        self._journal = journal
        self._publisher = publisher
        self._lease = lease
        self._owner = owner
        self._settings = settings
        self._clock = clock
        self._report = report
        self._wake = threading.Event()
        self._stopping = threading.Event()
        # (complaint id -> highest sequence this relay saw acknowledged): spares a store read per event in the
        # common case (the router's event follows intake's, which this relay published a moment ago).
        self._heads: OrderedDict[str, int] = OrderedDict()
        self._lags_ms: deque[float] = deque(maxlen=10_000)
        self._lock = threading.Lock()
        self._holding = False
        self._renewed_at: datetime | None = None
        self._last_sweep: datetime | None = None
        self._after: tuple[str, int] | None = None  # where the last round's batch ended

    # --- what writers and the service call -------------------------------------------------------------------

    def nudge(self) -> None:
        """An event was appended in this process: publish it now rather than at the next poll."""
        self._wake.set()

    def report_to(self, server: HealthReport) -> None:
        """Say in the server's health (component "relay") when events cannot be published."""
        self._report = lambda problem: server.report("relay", problem)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def lag_summary(self, reset: bool = False) -> LagSummary:
        """Append-to-acknowledged lag of the events this relay published (the last 10,000, or since the reset)."""
        with self._lock:
            lags = sorted(self._lags_ms)
            if reset:
                self._lags_ms.clear()
        if not lags:
            return LagSummary(0, 0.0, 0.0, 0.0)
        return LagSummary(len(lags), _quantile(lags, 0.5), _quantile(lags, 0.99), lags[-1])

    def run(self) -> None:
        """Relay until stop(): hold the lease or wait for it; publish; back off while the broker or store fails.
        Raises nothing it can retry; safe to call again (the service supervises it as a worker)."""
        self._stopping.clear()
        backoff = self._settings.idle_poll_seconds
        last_summary = self._clock()
        while not self._stopping.is_set():
            try:
                published = self.publish_round()
                backoff = self._settings.idle_poll_seconds
                self._report(None)
            except Exception as error:  # the broker or the store is down: keep the events, retry
                log.warning("relay round failed (events stay in the outbox): %s: %s", type(error).__name__, error)
                self._report(f"cannot publish: {type(error).__name__}: {str(error)[:200]}")
                published = 0
                backoff = min(max(backoff * 2, 0.2), self._settings.max_backoff_seconds)
            now = self._clock()
            if (now - last_summary).total_seconds() >= self._settings.summary_seconds:
                self._log_summary()
                last_summary = now
            if published == 0:
                wait = backoff if self._holding else self._settings.lease_seconds / 3
                self._wake.wait(wait)
                self._wake.clear()
        if self._holding:
            self._lease.release(self._owner)
            self._holding = False

    # --- one round ---------------------------------------------------------------------------------------------

    def publish_round(self) -> int:
        """Take or keep the lease; if held, publish one batch from the outbox. Returns how many were published."""
        holding = self._keep_lease()
        if holding and not self._holding:
            log.info("relay lease taken by %s", self._owner)
        elif self._holding and not holding:
            log.warning("relay lease lost to another process; %s stops publishing", self._owner)
        self._holding = holding
        if not holding:
            return 0
        now = self._clock()
        if self._last_sweep is None or (now - self._last_sweep).total_seconds() >= self._settings.sweep_seconds:
            self._sweep()
            self._last_sweep = now
            self._keep_lease()
        pending = self._journal.pending(self._settings.batch, after=self._after)
        if not pending and self._after is not None:  # the last batch ended the outbox: start again at once
            pending = self._journal.pending(self._settings.batch)
        # A full batch: the next round goes on after it. A short one reached the end: the next starts again.
        last = pending[-1].event if len(pending) == self._settings.batch else None
        self._after = (last.complaint_id, last.sequence) if last is not None else None
        return self._publish(pending)

    def _keep_lease(self) -> bool:
        """Take or renew the lease; a store write at most every third of a lease, not on every 50 ms round."""
        now = self._clock()
        renewed = self._renewed_at
        if self._holding and renewed is not None and (now - renewed).total_seconds() < self._settings.lease_seconds / 3:
            return True
        holding = self._lease.acquire(self._owner, now, timedelta(seconds=self._settings.lease_seconds))
        self._renewed_at = now if holding else None
        return holding

    def _publish(self, pending: list[PendingEvent]) -> int:
        ready = self._in_order(pending)
        if not ready:
            return 0
        if not self._keep_lease():  # lost while reading: the new holder publishes these
            return 0
        outcomes = self._publisher.publish_many([(p.event.complaint_id, p.event.data) for p in ready])
        self._keep_lease()
        failed: set[str] = set()
        acknowledged: list[PendingEvent] = []
        first_error: BaseException | None = None
        for item, error in zip(ready, outcomes, strict=True):
            event = item.event
            if error is not None or event.complaint_id in failed:
                failed.add(event.complaint_id)
                first_error = first_error or error
                continue
            acknowledged.append(item)
        # The journal decides how to write a batch of marks (decision 0022); in slices, renewing the lease between
        # them, since on a store that takes one write per mark a whole batch can outlast a lease.
        for start in range(0, len(acknowledged), MARK_SLICE):
            self._journal.mark_published([item.event for item in acknowledged[start : start + MARK_SLICE]])
            self._keep_lease()
        acked_at = self._clock()
        for item in acknowledged:
            self._remember(item.event.complaint_id, item.event.sequence)
            with self._lock:
                self._lags_ms.append((acked_at - item.appended_at).total_seconds() * 1000)
        if first_error is not None:
            raise first_error
        return len(acknowledged)

    def _in_order(self, pending: list[PendingEvent]) -> list[PendingEvent]:
        """The pending events that may be sent now: each one's predecessor acknowledged or earlier in the batch."""
        ready: list[PendingEvent] = []
        batch_heads: dict[str, int] = {}
        held: set[str] = set()
        for item in pending:
            event = item.event
            if event.complaint_id in held:
                continue
            previous = event.sequence - 1
            if (
                previous == 0
                or batch_heads.get(event.complaint_id) == previous
                or self._acknowledged(event.complaint_id, previous)
            ):
                ready.append(item)
                batch_heads[event.complaint_id] = event.sequence
            else:
                held.add(event.complaint_id)
        return ready

    def _acknowledged(self, complaint_id: str, previous: int) -> bool:
        if self._heads.get(complaint_id, 0) >= previous:
            return True
        state = self._journal.is_published(complaint_id, previous)
        if state is True:
            self._remember(complaint_id, previous)
            return True
        # Unpublished: pending behind this round's start (the outbox is read round-robin), or, when it is not in the
        # outbox at all (a writer died between its inserts), queued now so that it goes first.
        if state is False and self._journal.ensure_pending(complaint_id, previous):
            log.warning("complaint %s: event %d was not in the outbox; relaying it first", complaint_id, previous)
        return False

    def _remember(self, complaint_id: str, sequence: int) -> None:
        if self._heads.get(complaint_id, 0) < sequence:
            self._heads[complaint_id] = sequence
            self._heads.move_to_end(complaint_id)
            if len(self._heads) > 100_000:
                self._heads.popitem(last=False)

    def _sweep(self) -> None:
        repaired = self._journal.repair_outbox(limit=10_000)
        if repaired:
            log.info("relay: %d unpublished events found in the journal and queued", repaired)

    def _log_summary(self) -> None:
        summary = self.lag_summary(reset=True)
        if summary.events:
            log.info(
                "relay published %d events; append-to-ack lag p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                summary.events,
                summary.p50_ms,
                summary.p99_ms,
                summary.max_ms,
            )


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def publish_on_append(journal: Journal, publisher: EventPublisher) -> Callable[[], None]:
    """A nudge that runs one relay round at once, in the caller's thread: for unit tests and single-process
    tools that have no relay thread. The same code as the relay's (order, marking published); no lease contest."""
    from suara_kit.lease import InMemoryLease

    relay = Relay(journal, publisher, InMemoryLease(), "inline")

    def nudge() -> None:
        relay.publish_round()

    return nudge
