"""The hash chain: how an entry is linked to the one before it, and how a chain is checked.

    entry_hash(n) = SHA-256("suara-audit-v1" || 0x00 || uint64_be(n) || entry_hash(n-1) || record(n))

with entry_hash(0) = 32 zero bytes. `record` is the event exactly as received from Kafka: the chain never hashes
a re-serialisation, because protobuf encoding is not canonical. Binding the position makes reordering and
removal visible; binding the previous hash makes any change visible in every later hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = bytes(32)
TAG = b"suara-audit-v1\x00"


def link(position: int, previous_hash: bytes, record: bytes) -> bytes:
    return hashlib.sha256(TAG + position.to_bytes(8, "big") + previous_hash + record).digest()


@dataclass(frozen=True)
class RecordIndex:
    """The fields an entry carries for search and display; they must agree with the record itself."""

    event_id: str
    complaint_id: str
    sequence: int
    event_type: str


@dataclass(frozen=True)
class Received:
    """An event as read from the log, before it is chained."""

    record: bytes
    index: RecordIndex
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class ChainEntry:
    position: int
    record: bytes
    previous_hash: bytes
    entry_hash: bytes
    index: RecordIndex
    appended_at: datetime
    topic: str = ""
    partition: int = -1
    offset: int = -1


def next_entry(head: ChainEntry | None, received: Received, appended_at: datetime) -> ChainEntry:
    position = head.position + 1 if head else 1
    previous = head.entry_hash if head else GENESIS
    return ChainEntry(
        position=position,
        record=received.record,
        previous_hash=previous,
        entry_hash=link(position, previous, received.record),
        index=received.index,
        appended_at=appended_at,
        topic=received.topic,
        partition=received.partition,
        offset=received.offset,
    )


@dataclass(frozen=True)
class Verdict:
    intact: bool
    entries: int
    head_hash: bytes
    first_bad_position: int | None = None
    problem: str = ""


def verify(
    entries: Iterable[ChainEntry],
    describe: Callable[[bytes], RecordIndex],
    expected_entries: int | None = None,
    expected_head: bytes | None = None,
) -> Verdict:
    """Recompute the chain from position 1. Stops at the first bad position, saying what is wrong with it.

    `describe` reads the index fields out of a record (raising ValueError if it cannot); `expected_*` come from
    a manifest and catch a log whose tail was cut."""
    previous = GENESIS
    count = 0
    for entry in entries:
        position = count + 1
        problem = _problem(entry, position, previous, describe)
        if problem:
            return Verdict(False, count, previous, position, problem)
        previous = entry.entry_hash
        count = position
    if expected_entries is not None and count != expected_entries:
        at = count + 1 if count < expected_entries else expected_entries + 1
        return Verdict(False, count, previous, at, f"the manifest says {expected_entries} entries, found {count}")
    if expected_head is not None and expected_head != previous:
        return Verdict(False, count, previous, count, "the head hash differs from the manifest's")
    return Verdict(True, count, previous)


def _problem(entry: ChainEntry, position: int, previous: bytes, describe: Callable[[bytes], RecordIndex]) -> str:
    if entry.position != position:
        return f"expected position {position} here, found position {entry.position} (entries removed or reordered)"
    if entry.previous_hash != previous:
        return "previous_hash does not match the entry_hash of the position before"
    if link(position, previous, entry.record) != entry.entry_hash:
        return "entry_hash does not match the record: the record or the hash was altered"
    try:
        actual = describe(entry.record)
    except ValueError as error:
        return f"record cannot be read: {error}"
    if actual != entry.index:
        return f"index fields {entry.index} do not match the record {actual}"
    return ""
