"""Changing a complaint: load its stream, fold, decide, append the decision at the expected version.

This is the one write path for every change to a complaint (intake's submission, the router's routing and
re-dispatch, the casework API, the deadline clock, the notifier):
    outcome = ComplaintStore(...).execute(command)
It loads the complaint's stream from the journal (both vocabularies, see complaint_stream), folds it, asks the
aggregate (suara_complaint.decide) and appends the events it decides at the next positions. The journal's unique
position per complaint is the optimistic lock: when another writer took the next position first, the command is
decided again on the fresh state, where a caller's stale `expected_version` becomes ABORTED with the current
version and a system command simply applies to the new state. A retried command (same idempotency key) records
nothing and answers the current version. The relay publishes what was appended (suara_kit.relay).

Wire forms: intake, the router's first reading and the notifier's routing alerts record the aggregate's decision
in the topic's older, richer types (ComplaintSubmitted with the kelurahan's names, ComplaintRouted with the routing
evidence, StaffNotified; docs/decisions/0023). They pass `wire`, which renders each of the command's own events as
that envelope; the store checks that the rendering reads back (complaint_stream.lifecycle_events) as exactly the
decided event, so a wire form can add evidence but never say something the aggregate did not decide.

Without multi-document transactions a batch of several events is several inserts; a crash between them leaves the
first part. The aggregate derives everything it needs from the events that are there (a missing HandBackCapReached
is decided again with the next command, since the count is in the state), so a cut batch is never an invalid stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from suara_complaint import Context, Policy, Refusal, decide, evolve
from suara_complaint import events as lc
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.commands import Command
from suara_complaint.lifecycle import Status
from suara_complaint.state import ComplaintState
from suara_kit import codec
from suara_kit.complaint_stream import fold_stream, lifecycle_events
from suara_kit.events import Event
from suara_kit.journal import ConcurrencyConflict, Journal, StoredEvent

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Refused(Exception):
    """The aggregate refused the command; `refusal` names the rule, the status, the version, the role and scope."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class TooManyConflicts(RuntimeError):
    pass


class WireFormMismatch(RuntimeError):
    """A writer's wire form does not read back as the event the aggregate decided: a bug in that writer."""


# Renders a decided event as the envelope to store at `sequence` (see "Wire forms" above).
WireForm = Callable[[lc.Event, int], Event]


@dataclass(frozen=True)
class Outcome:
    complaint_id: str
    version: int
    status: Status
    recorded: tuple[Event, ...]  # empty when the command was a retry of one already recorded


@dataclass(frozen=True)
class Loaded:
    state: ComplaintState | None
    events: tuple[Event, ...]
    stored: tuple[StoredEvent, ...] = ()


class ComplaintStore:
    def __init__(
        self,
        journal: Journal,
        policy: Policy,
        calendar: WorkingCalendar,
        *,
        producer: str,
        appended: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        max_attempts: int = 5,
    ) -> None:
        self._journal = journal
        self.policy = policy
        self.calendar = calendar
        self._producer = producer
        self._appended = appended
        self._clock = clock
        self._max_attempts = max_attempts

    @property
    def journal(self) -> Journal:
        return self._journal

    def load(self, complaint_id: str) -> Loaded:
        stored = tuple(self._journal.stream(complaint_id))
        events = tuple(codec.decode(entry.data) for entry in stored)
        return Loaded(fold_stream(events, self.policy), events, stored)

    def context(self) -> Context:
        return Context(self._clock(), self.policy, self.calendar)

    def execute(self, command: Command, display_name: str = "", wire: WireForm | None = None) -> Outcome:
        """Decide and record `command`. Raises Refused, or TooManyConflicts when the complaint kept changing."""
        for _ in range(self._max_attempts):
            loaded = self.load(command.complaint_id)
            decision = decide(loaded.state, command, self.context())
            if isinstance(decision, Refusal):
                raise Refused(decision)
            state = loaded.state
            if not decision:
                assert state is not None  # decide records nothing only for a complaint that exists
                self._requeue_unpublished(loaded, command.idempotency_key)
                return Outcome(command.complaint_id, state.version, state.status, ())
            try:
                recorded = self._append(loaded, decision, command, display_name, wire)
            except ConcurrencyConflict as conflict:
                log.info(
                    "complaint changed while deciding; deciding again",
                    extra={"complaint_id": command.complaint_id, "sequence": conflict.sequence},
                )
                continue
            after = state
            for change in decision:
                after = evolve(after, change)
            assert after is not None
            return Outcome(command.complaint_id, after.version, after.status, tuple(recorded))
        raise TooManyConflicts(
            f"complaint {command.complaint_id}: it changed {self._max_attempts} times while deciding; try again"
        )

    def _requeue_unpublished(self, loaded: Loaded, key: str) -> None:
        """A retry of a recorded command: if the first attempt died between its journal and outbox inserts (the
        caller was told UNAVAILABLE and retried), put what it recorded back on its way to the topic."""
        changes = lifecycle_events(loaded.events, self.policy)
        lost = [
            entry
            for entry, change in zip(loaded.stored, changes, strict=True)
            if not entry.published and change.command_key == key
        ]
        for entry in lost:
            self._journal.ensure_pending(entry.complaint_id, entry.sequence)
        if lost:
            self._appended()

    def _append(
        self,
        loaded: Loaded,
        changes: list[lc.Event],
        command: Command,
        display_name: str,
        wire: WireForm | None,
    ) -> list[Event]:
        recorded: list[Event] = []
        version = len(loaded.events)
        for offset, change in enumerate(changes, start=1):
            if wire is None or change.command_key != command.idempotency_key:
                # Natively; also the deadlines that fell due before the command (decide records them first).
                event = codec.lifecycle_event(
                    change,
                    version + offset,
                    correlation_id=command.complaint_id,
                    causation_id=command.idempotency_key,
                    producer=self._producer,
                    display_name=display_name,
                )
            else:
                event = wire(change, version + offset)
                self._check_wire_form(change, event, [*loaded.events, *recorded])
            data = codec.encode(event)
            stored = self._journal.append(
                StoredEvent(event.event_id, event.complaint_id, event.sequence, event.event_type, data)
            )
            if stored.data != data:
                # An event with this id was recorded by another attempt (the journal answers with it): decide
                # again on the stream as it is now, where this command is a retry or refused.
                raise ConcurrencyConflict(event.complaint_id, event.sequence)
            recorded.append(event)
        self._appended()
        return recorded

    def _check_wire_form(self, decided: lc.Event, event: Event, before: list[Event]) -> None:
        read_back = lifecycle_events([*before, event], self.policy)[len(before) :]
        expected = replace(decided, event_id=event.event_id)
        if event.complaint_id != decided.complaint_id or read_back != [expected]:
            raise WireFormMismatch(
                f"complaint {decided.complaint_id}: {event.event_type} at {event.sequence} reads back as "
                f"{read_back!r}, not the decided {expected!r}"
            )
