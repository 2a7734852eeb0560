"""The audit service's use cases: sequence events into the log, sign checkpoints, prove, export, erase.

Each names its dependencies: the stores (adapters/), the event reader, a clock. No transport here: the consumer
and the gRPC API (entrypoints/) call these.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from suara_audit.adapters.checkpoints import CheckpointStore
from suara_audit.adapters.disclosures import DisclosureStore
from suara_audit.adapters.log_store import Head, LeaseLost, LogStore
from suara_audit.domain import bundle, merkle
from suara_audit.domain.leaf import Disclosure, EventFacts, Leaf, Received, build_leaf, event_key, unloggable
from suara_audit.domain.note import Checkpoint, CheckpointSigner
from suara_kit.events import ActorKind, derived_id
from suara_verify.receipt import format_receipt

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
EventReader = Callable[[bytes], EventFacts]
SUBMITTED = "ComplaintSubmitted"  # the event type whose actor is the submitting integrator


def utc_now() -> datetime:
    return datetime.now(UTC)


class InvalidRequest(ValueError):
    """A request argument is unusable; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(LookupError):
    """What was asked for is not in the log (yet)."""


class NotSequencer(RuntimeError):
    """This instance does not hold the sequencer lease: another one appends."""


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def _recorded_at(leaf: Leaf) -> int:
    """The exact recorded_at of a stored leaf, read from its bytes (the store keeps only milliseconds)."""
    text = json.loads(leaf.data)["recorded_at"]
    return _micros(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


class Sequencer:
    """The log's single writer: while it holds the lease, it appends batches of events, each as one write.

    Before its first append (and after any failed one) it recovers: it takes the stored head and re-applies any
    leaves written after it by a writer that died before advancing the head, so a crash leaves no gap and no
    duplicate. Every append is conditional on the lease; the unique leaf index stops a writer that lost it."""

    def __init__(
        self,
        *,
        store: LogStore,
        disclosures: DisclosureStore,
        read_event: EventReader,
        origin: str,
        owner: str,
        clock: Clock = utc_now,
        lease_ttl: timedelta = timedelta(seconds=15),
    ) -> None:
        self._store = store
        self._disclosures = disclosures
        self._read_event = read_event
        self._origin = origin
        self.owner = owner
        self._clock = clock
        self._ttl = lease_ttl
        self._head: Head | None = None
        self._renewed = 0.0
        self._lock = threading.Lock()

    @property
    def head(self) -> Head | None:
        """The durable head, when this instance holds the lease and has recovered."""
        return self._head

    def acquire(self) -> bool:
        """Take the lease if free (or ours) and recover the head. False when another instance holds it."""
        with self._lock:
            head = self._store.acquire(self.owner, self._clock(), self._ttl)
            if head is None:
                self._head = None
                return False
            self._renewed = time.monotonic()
            self._head = self._recover(head)
            return True

    def _recover(self, head: Head) -> Head:
        recovered = self._recover_leaves(head)
        # Disclosures are written before their leaves: those beyond the recovered head belong to leaves that were
        # never written, and the next events at those indices may have other fields (or other complaints).
        self._disclosures.discard_from(recovered.size)
        return recovered

    def _recover_leaves(self, head: Head) -> Head:
        tail = list(self._store.leaves(head.size))
        if not tail:
            return head
        frontier, nodes = head.frontier.append(leaf.hash for leaf in tail)
        self._store.repair(tail, nodes)
        recovered = Head(frontier, max(head.recorded_at_us, _recorded_at(tail[-1])))
        self._store.advance(self.owner, recovered)
        log.warning(
            "recovered %d leaves written after the stored head (size %d -> %d)", len(tail), head.size, frontier.size
        )
        return recovered

    def renew(self) -> None:
        """Keep the lease (raises LeaseLost when it was taken over)."""
        with self._lock:
            self._renew()

    def _renew(self) -> None:
        try:
            self._store.renew(self.owner, self._clock(), self._ttl)
        except LeaseLost:
            self._head = None
            raise
        self._renewed = time.monotonic()

    def release(self) -> None:
        with self._lock:
            self._store.release(self.owner, self._clock())
            self._head = None

    def append(self, received: Sequence[Received]) -> list[Leaf]:
        """Log the events not logged yet (by event key), in order; returns the new leaves."""
        with self._lock:
            if self._head is None:
                raise NotSequencer("this instance does not hold the sequencer lease (or must recover first)")
            try:
                return self._append(self._head, received)
            except Exception:
                self._head = None  # whatever was half-written, recovery sorts it out before the next append
                raise

    def _append(self, head: Head, received: Sequence[Received]) -> list[Leaf]:
        fresh: dict[str, tuple[EventFacts, Received]] = {}
        for r in received:
            facts = self._read(r)
            fresh.setdefault(event_key(facts, r), (facts, r))
        for key in self._store.logged(fresh):
            del fresh[key]
        if not fresh:
            return []
        if time.monotonic() - self._renewed > self._ttl.total_seconds() / 3:
            self._renew()
        recorded_us = max(_micros(self._clock()), head.recorded_at_us)
        recorded_at = _from_micros(recorded_us)
        leaves: list[Leaf] = []
        disclosures: list[Disclosure] = []
        for facts, r in fresh.values():
            built = self._build(head.size + len(leaves), facts, r, recorded_at, leaves)
            if built is not None:
                leaves.append(built[0])
                disclosures.extend(built[1])
        if not leaves:
            return []
        frontier, nodes = head.frontier.append(leaf.hash for leaf in leaves)
        new_head = Head(frontier, recorded_us)
        # Disclosures first: they are keyed by index, and nothing reads them for an index without a leaf.
        self._disclosures.put(disclosures)
        self._store.append(self.owner, leaves, nodes, new_head)
        self._head = new_head
        self._renewed = time.monotonic()  # advancing the head needed the lease
        return leaves

    def _read(self, r: Received) -> EventFacts:
        try:
            return self._read_event(r.data)
        except Exception as error:  # a bug reading one event must not keep it (or the events after it) out
            _unloggable_said(r, "read", error)
            return unloggable(None, "read", error)

    def _build(
        self, index: int, facts: EventFacts, r: Received, recorded_at: datetime, batch: list[Leaf]
    ) -> tuple[Leaf, list[Disclosure]] | None:
        """The leaf of this event at `index`, or, when it cannot be built, a leaf of its bytes' hash and why
        (decision 0055). None when that fallback is logged already (a redelivery)."""
        try:
            return build_leaf(origin=self._origin, index=index, facts=facts, received=r, recorded_at=recorded_at)
        except Exception as error:  # pure code on one event's facts: the same bytes fail the same way every time
            _unloggable_said(r, "build a leaf of", error)
            fallback = unloggable(facts, "build a leaf of", error)
        key = event_key(fallback, r)
        if any(leaf.key == key for leaf in batch) or self._store.logged([key]):  # only on this rare path
            return None
        # If even this fails, the append fails and the worker holds the partition (never skips it).
        return build_leaf(origin=self._origin, index=index, facts=fallback, received=r, recorded_at=recorded_at)


def _unloggable_said(r: Received, stage: str, error: BaseException) -> None:
    log.error(
        "could not %s the event at %s[%d]@%d; logging it by its hash and the error type instead",
        stage,
        r.source.topic,
        r.source.partition,
        r.source.offset,
        exc_info=error,
        extra={"topic": r.source.topic, "partition": r.source.partition, "offset": r.source.offset},
    )


@dataclass
class CheckpointPolicy:
    every_entries: int
    interval: timedelta


class Checkpointer:
    """Signs the sequencer's head every `every_entries` new entries or `interval`, whichever comes first."""

    def __init__(
        self,
        *,
        sequencer: Sequencer,
        checkpoints: CheckpointStore,
        signer: CheckpointSigner,
        policy: CheckpointPolicy,
        clock: Clock = utc_now,
    ) -> None:
        self._sequencer = sequencer
        self._checkpoints = checkpoints
        self._signer = signer
        self._policy = policy
        self._clock = clock
        self._last: tuple[int, datetime] | None = None

    def due(self, head: Head, now: datetime) -> bool:
        if self._last is None:
            latest = self._checkpoints.latest()
            self._last = (latest.size, now) if latest else (0, datetime.min.replace(tzinfo=UTC))
        size, at = self._last
        if head.size <= size:
            return False
        return head.size - size >= self._policy.every_entries or now - at >= self._policy.interval

    def tick(self) -> Checkpoint | None:
        """Sign a checkpoint if one is due (only the lease holder has a head to sign)."""
        head = self._sequencer.head
        now = self._clock()
        if head is None or not self.due(head, now):
            return None
        return self.sign(head, now)

    def sign(self, head: Head, now: datetime) -> Checkpoint:
        root = head.frontier.root()
        stored = self._checkpoints.at(head.size)
        checkpoint = self._signer.sign(head.size, root, previous=stored.root if stored else None)
        kept = stored or self._checkpoints.add(checkpoint, now)
        self._last = (head.size, now)
        return kept


class AuditQueries:
    """Read-side use cases: checkpoints, proofs, receipts, the export bundle; and erasure."""

    def __init__(
        self,
        *,
        store: LogStore,
        checkpoints: CheckpointStore,
        disclosures: DisclosureStore,
        signer: CheckpointSigner,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._checkpoints = checkpoints
        self._disclosures = disclosures
        self._signer = signer
        self._clock = clock

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The latest signed checkpoint, or the one at `size`."""
        if size is None:
            found = self._checkpoints.latest()
            if found is None:
                raise NotFound("no checkpoint has been signed yet")
            return found
        if size < 0:
            raise InvalidRequest("tree_size", "must be 0 or more")
        found = self._checkpoints.at(size)
        if found is None:
            raise NotFound(f"no checkpoint was signed at tree size {size}")
        return found

    def _tree_size(self, size: int | None) -> int:
        """The size asked for, or the latest checkpoint's; never beyond the durable head."""
        if size is None or size == 0:
            return self.checkpoint().size
        available = self._store.head().size
        if size > available:
            raise InvalidRequest("tree_size", f"{size} is larger than the log ({available} entries)")
        return size

    def index_of(self, event_id: str) -> int:
        if not event_id:
            raise InvalidRequest("event_id", "required")
        index = self._store.index_of(event_id)
        if index is None:
            raise NotFound(f"event {event_id} is not in the log (yet)")
        return index

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> tuple[int, list[bytes]]:
        """(tree size, proof hashes) for leaf `index`."""
        size = self._tree_size(tree_size)
        if not 0 <= index < size:
            raise InvalidRequest("index", f"{index} is not below the tree size {size}")
        return size, merkle.hashes_for(merkle.inclusion_ranges(index, size), self._store.nodes)

    def consistency_proof(self, size1: int, size2: int | None = None) -> tuple[int, list[bytes]]:
        size = self._tree_size(size2)
        if not 0 <= size1 <= size:
            raise InvalidRequest("size1", f"{size1} must be between 0 and the second size {size}")
        return size, merkle.hashes_for(merkle.consistency_ranges(size1, size), self._store.nodes)

    def leaf(self, index: int) -> Leaf:
        found = self._store.leaf(index)
        if found is None:
            raise NotFound(f"no leaf at index {index}")
        return found

    def submitted_by(self, event_id: str) -> str | None:
        """The integrator that submitted the complaint of the logged event `event_id`, as the log recorded it: the
        actor of that complaint's ComplaintSubmitted leaf. None when the log shows no integrator's submission (a
        citizen's own, an unreadable event, or none logged yet). NotFound when `event_id` is not in the log.

        Three key lookups: intake derives a submission's event id from the complaint id (suara_kit.events.derived_id),
        so the log finds it without an index on complaint ids."""
        complaint_id = self.leaf(self.index_of(event_id)).complaint_id
        if not complaint_id:
            return None
        index = self._store.index_of(derived_id(complaint_id, SUBMITTED))
        submitted = None if index is None else self._store.leaf(index)
        if submitted is None or (submitted.event_type, submitted.complaint_id) != (SUBMITTED, complaint_id):
            return None
        actor = json.loads(submitted.data).get("actor")
        if not isinstance(actor, dict) or actor.get("kind") != ActorKind.INTEGRATOR.value:
            return None
        found = actor.get("id")
        return found if isinstance(found, str) and found else None

    def receipt(self, event_id: str) -> tuple[Leaf, bytes]:
        """The event's leaf and a tlog-proof of it against the latest checkpoint."""
        index = self.index_of(event_id)
        checkpoint = self.checkpoint()
        if index >= checkpoint.size:
            raise NotFound(
                f"event {event_id} is leaf {index}, not yet covered by a signed checkpoint (size {checkpoint.size})"
            )
        _, proof = self.inclusion_proof(index, checkpoint.size)
        return self.leaf(index), format_receipt(index, list(proof), checkpoint.note)

    def export(self, since_size: int = 0) -> Iterator[bundle.Piece]:
        """The bundle's files from leaf `since_size` to the latest checkpoint, manifest.note last."""
        latest = self.checkpoint()
        size = latest.size
        if not 0 <= since_size <= size:
            raise InvalidRequest("since_size", f"{since_size} is beyond the latest checkpoint (size {size})")
        return self._export(since_size, size)

    def _export(self, first: int, size: int) -> Iterator[bundle.Piece]:
        manifest = bundle.Manifest(self._signer.origin, first, size)
        verify_md = bundle.verify_md(self._signer.origin, first, size, self._signer.verifier_keys())
        yield manifest.add(bundle.Piece(bundle.VERIFY, verify_md))
        if first > 0:
            frontier = merkle.hashes_for(_frontier_ranges(first), self._store.nodes)
            yield manifest.add(bundle.Piece(bundle.FRONTIER, bundle.hash_lines(frontier)))
        sizes = []
        for checkpoint in self._checkpoints.between(max(first, 1), size):
            sizes.append(checkpoint.size)
            yield manifest.add(bundle.Piece(bundle.checkpoint_path(checkpoint.size), checkpoint.note))
        pairs = list(itertools.pairwise(sizes))
        if 0 < first < size and (first, size) not in pairs:
            pairs.append((first, size))  # from the auditor's trusted checkpoint to this bundle's size
        for size1, size2 in sorted(pairs):
            _, proof = self.consistency_proof(size1, size2)
            yield manifest.add(bundle.Piece(bundle.consistency_path(size1, size2), bundle.hash_lines(proof)))
        vouched: set[tuple[int, str, str]] = set()  # (index, field, commitment) of every commitment in the range
        leaves = _noting_commitments(self._store.leaves(first, size), vouched)
        for piece in bundle.chunked(bundle.ENTRIES, _contiguous(leaves, first, size)):
            yield manifest.add(piece)
        # Only the disclosures the leaves vouch for: the store may also hold some for the same index and field from
        # an append that never completed or a writer that had lost its lease (adapters/disclosures.py).
        kept = self._disclosures.between(first, size)
        lines = (d.to_json() for d in kept if (d.index, d.field, d.commitment()) in vouched)
        for piece in bundle.chunked(bundle.DISCLOSURES, lines):
            yield manifest.add(piece)
        yield manifest.signed(self._signer.signers)

    def erase(self, complaint_id: str) -> int:
        if not complaint_id:
            raise InvalidRequest("complaint_id", "required")
        return self._disclosures.erase(complaint_id, self._clock())


def _frontier_ranges(size: int) -> list[tuple[int, int]]:
    return [(index << level, (index + 1) << level) for level, index in merkle.perfect_subtrees(0, size)]


def _noting_commitments(leaves: Iterator[Leaf], vouched: set[tuple[int, str, str]]) -> Iterator[Leaf]:
    for leaf in leaves:
        vouched.update((leaf.index, field, value) for field, value in leaf.commitments().items())
        yield leaf


class StoreIncomplete(RuntimeError):
    """The store lacks a leaf the signed checkpoints cover: it lost data or was altered."""


def _contiguous(leaves: Iterable[Leaf], first: int, end: int) -> Iterator[bytes]:
    expected = first
    for leaf in leaves:
        yield leaf.data
        expected += 1
    if expected != end:
        raise StoreIncomplete(f"the store has no leaf {expected}, which the checkpoint of size {end} covers")
