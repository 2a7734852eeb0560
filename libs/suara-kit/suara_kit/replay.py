"""Replay: rebuild read models from offset 0 of the events topic into fresh collections, and check them.

The events topic is what every read model is a projection of; the journal is what assigned each event its place.
`replay` reads the topic from the beginning to its end (as of the start, then again while new events keep
arriving), gathers each complaint's events (each once, in topic order), and then builds a fresh copy of each
registered projection (collections named `replay_<stamp>_<live name>`) complaint by complaint: a projection that can
`rebuild` a complaint from its whole stream writes each document once; any other gets the events one by one, as
its live consumer did. With `check`:
- compares each fresh collection with the live one, document by document (the live projector must have consumed
  at least as far: replay waits for its consumer group's committed offsets to reach the end it read);
- compares the topic with the journal: every published event is on the topic with the same bytes, in sequence
  order per complaint; nothing on the topic is unknown to the journal; nothing is left unpublished.
Differences are named (collection and document id, or complaint and sequence), at most `limit` of each kind.

Projections are registered by the composition roots that own them (see suara_cli.replay); this module knows none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from suara_kit import codec
from suara_kit.events import Event
from suara_kit.kafka import PoisonMessage
from suara_kit.mongo import MongoDatabase

log = logging.getLogger(__name__)


class Applies(Protocol):
    def apply(self, event: Event, data: bytes) -> None: ...


@runtime_checkable
class Rebuilds(Applies, Protocol):
    """A projection that can write a complaint's documents from its whole stream at once.

    `rebuild(complaint_id, stream)` must leave exactly the documents that applying each of `stream`'s events in
    turn leaves in empty collections (each adapter's tests hold it to that), or raise PoisonMessage having written
    nothing, and the replay applies the events one by one. Folding in memory and writing once is what makes a
    replay of a long-lived city's topic take minutes: applying event by event re-reads and re-derives a
    complaint's document for every event (decision 0027)."""

    def rebuild(self, complaint_id: str, stream: Sequence[tuple[Event, bytes]]) -> None: ...


@dataclass(frozen=True)
class Projection:
    """A read model: the collections it owns (live names), the consumer group that keeps it live, and how to build
    it on a given base collection name (the first of `collections`; the others derive from it)."""

    name: str
    collections: tuple[str, ...]
    group: str
    build: Callable[[MongoDatabase, str], Applies]


@dataclass
class Report:
    events: int = 0
    undecodable: int = 0
    redelivered: int = 0  # events on the topic more than once (applied once)
    poison: int = 0  # events a projection refused (its live consumer dead-letters them)
    complaints: int = 0
    fresh: dict[str, str] = field(default_factory=dict)  # live collection -> fresh collection
    differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


@dataclass
class _Feed:
    """What the topic holds, per complaint: each event the first time it was seen, with its bytes, in topic order."""

    by_complaint: dict[str, list[tuple[Event, bytes]]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)


def replay(
    database: MongoDatabase,
    bootstrap: str,
    topic: str,
    projections: Sequence[Projection],
    *,
    check: bool,
    progress: Callable[[str], None] = lambda line: None,
    wait_for_live_seconds: float = 60.0,
    limit: int = 20,
) -> Report:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    report = Report()
    built = []
    for projection in projections:
        base = f"replay_{stamp}_{projection.collections[0]}"
        for live in projection.collections:
            report.fresh[live] = f"replay_{stamp}_{live}"
            database.drop_collection(report.fresh[live])
        built.append(projection.build(database, base))
    feed = _Feed()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, group_id=None, client_id="suara-replay"
    )
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = _read_to_end(consumer, partitions, feed, report, progress)
        cutoff = datetime.now(UTC)
        behind: set[str] = set()
        if check:
            # The live projectors must have consumed what replay read; read on while new events arrive.
            for _ in range(5):
                behind = _wait_for_groups(bootstrap, [p.group for p in projections], end, wait_for_live_seconds)
                cutoff = datetime.now(UTC)
                newer = consumer.end_offsets(partitions)
                if newer == end:
                    break
                end = _read_to_end(consumer, partitions, feed, report, progress)
            else:
                progress("the topic kept moving: compared as of the last events read")
    finally:
        consumer.close()
    _build(built, feed, report, progress)
    progress(
        f"replayed {report.events} events of {report.complaints} complaints ({report.redelivered} of them published "
        f"again, applied once" + (f"; {report.poison} refused by a projection" if report.poison else "") + ") into "
        f"{', '.join(report.fresh.values())}"
    )
    if check:
        for projection in projections:
            if projection.group in behind:  # its live collections are not comparable yet
                report.differences.append(
                    f"consumer group {projection.group} is behind the topic: {projection.name} was not compared"
                )
                continue
            for live in projection.collections:
                report.differences += _compare_collections(database, live, report.fresh[live], limit)
        report.differences += _compare_with_journal(database, feed, cutoff, limit)
    return report


def drop_fresh(database: MongoDatabase, report: Report) -> None:
    for fresh in report.fresh.values():
        database.drop_collection(fresh)


def _read_to_end(
    consumer: KafkaConsumer,
    partitions: list[TopicPartition],
    feed: _Feed,
    report: Report,
    progress: Callable[[str], None],
) -> dict[TopicPartition, int]:
    end: dict[TopicPartition, int] = consumer.end_offsets(partitions)
    last_progress = time.monotonic()
    while any(consumer.position(tp) < offset for tp, offset in end.items()):
        for records in consumer.poll(timeout_ms=1000, max_records=2000).values():
            for record in records:
                _gather(record, feed, report)
        if time.monotonic() - last_progress > 2:
            progress(f"... {report.events} events read")
            last_progress = time.monotonic()
    return end


def _gather(record: ConsumerRecord, feed: _Feed, report: Report) -> None:
    data = bytes(record.value)
    try:
        event = codec.decode(data)
    except Exception:  # the live projector dead-letters it and applies nothing: so does replay
        report.undecodable += 1
        return
    report.events += 1
    if event.event_id in feed.seen:
        # Published twice (the relay is at-least-once): every projection is idempotent by event id, so applying it
        # again changes nothing. Skipping it spared a third of the work on the 2,000-complaint simulation's topic.
        report.redelivered += 1
        return
    feed.seen.add(event.event_id)
    feed.by_complaint.setdefault(event.complaint_id, []).append((event, data))


def _build(built: list[Applies], feed: _Feed, report: Report, progress: Callable[[str], None]) -> None:
    """Each complaint's stream into each fresh projection: rebuilt at once where the projection can, else (or when
    the rebuild refuses the stream) event by event, skipping what the projection refuses as its live consumer
    would (counted in `report.poison`)."""
    last_progress = time.monotonic()
    for done, (complaint_id, stream) in enumerate(feed.by_complaint.items(), start=1):
        for projection in built:
            if isinstance(projection, Rebuilds):
                try:
                    projection.rebuild(complaint_id, stream)
                    continue
                except PoisonMessage:  # it wrote nothing: take the live path, refusals and all
                    pass
            for event, data in stream:
                try:
                    projection.apply(event, data)
                except PoisonMessage:
                    report.poison += 1
        report.complaints = done
        if time.monotonic() - last_progress > 2:
            progress(f"... {done} of {len(feed.by_complaint)} complaints rebuilt")
            last_progress = time.monotonic()


def _wait_for_groups(bootstrap: str, groups: list[str], end: dict[TopicPartition, int], seconds: float) -> set[str]:
    """Wait until each group's committed offsets reach `end`; the groups still behind after `seconds`."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="suara-replay")
    behind: set[str] = set()
    try:
        deadline = time.monotonic() + seconds
        for group in dict.fromkeys(groups):
            while True:
                committed = admin.list_group_offsets(group).get(group, {})  # kafka-python 3: group -> offsets
                if not [tp for tp, o in end.items() if o > 0 and committed.get(tp, _NONE).offset < o]:
                    break
                if time.monotonic() > deadline:
                    behind.add(group)
                    break
                time.sleep(0.5)
    finally:
        admin.close()
    return behind


class _NoOffset:
    offset = -1


_NONE = _NoOffset()


def _documents(database: MongoDatabase, collection: str) -> dict[Any, dict[str, Any]]:
    return {d["_id"]: d for d in database[collection].find({})}


def _compare_collections(database: MongoDatabase, live: str, fresh: str, limit: int) -> list[str]:
    live_docs, fresh_docs = _documents(database, live), _documents(database, fresh)
    differences = []
    for key in sorted(set(live_docs) | set(fresh_docs), key=str):
        if key not in live_docs:
            differences.append(f"{live}: document {key} is missing (the replay has it)")
        elif key not in fresh_docs:
            differences.append(f"{live}: document {key} is not in the replay (no event on the topic makes it)")
        elif live_docs[key] != fresh_docs[key]:
            fields = sorted(
                k for k in set(live_docs[key]) | set(fresh_docs[key]) if live_docs[key].get(k) != fresh_docs[key].get(k)
            )
            differences.append(f"{live}: document {key} differs from the replay in {', '.join(fields)}")
    return _capped(differences, limit, live)


# An event appended this long before the topic was read and still unpublished is reported; younger ones are the
# relay's ordinary lag.
PUBLISH_GRACE = timedelta(seconds=30)


def _compare_with_journal(database: MongoDatabase, feed: _Feed, cutoff: datetime, limit: int) -> list[str]:
    """The topic as read against the journal as of `cutoff` (the moment the topic's end was read): events published
    or appended after it are not expected on the topic yet."""
    differences: list[str] = []
    journal: dict[str, dict[int, dict[str, Any]]] = {}
    for document in _scan(database, "journal"):
        journal.setdefault(str(document["complaint_id"]), {})[int(document["sequence"])] = document
    for complaint_id, stream in sorted(journal.items()):
        on_topic = feed.by_complaint.get(complaint_id, [])
        sequences = [event.sequence for event, _ in on_topic]
        if sequences != sorted(sequences):
            differences.append(f"complaint {complaint_id}: events on the topic out of order {sequences}")
        topic_by_id = {event.event_id: data for event, data in on_topic}
        for sequence, document in sorted(stream.items()):
            event_id = str(document["event_id"])
            if event_id in topic_by_id:
                if topic_by_id[event_id] != bytes(document["data"]):
                    differences.append(
                        f"complaint {complaint_id}: event {sequence} differs between the topic and the journal"
                    )
                continue
            if document["published"]:
                if _utc(document.get("published_at")) <= cutoff:
                    differences.append(
                        f"complaint {complaint_id}: event {sequence} ({event_id}) is published but not on the topic"
                    )
            elif _utc(document.get("appended_at")) <= cutoff - PUBLISH_GRACE:
                differences.append(
                    f"complaint {complaint_id}: event {sequence} ({event_id}) is not published "
                    f"{PUBLISH_GRACE.seconds} s after it was appended (is a relay running?)"
                )
    for complaint_id, on_topic in sorted(feed.by_complaint.items()):
        known = {str(d["event_id"]) for d in journal.get(complaint_id, {}).values()}
        for event, _ in on_topic:
            if event.event_id not in known:
                differences.append(
                    f"complaint {complaint_id}: event {event.sequence} ({event.event_id}) is on the topic, not in the "
                    "journal"
                )
    return _capped(differences, limit, "journal")


def _utc(value: Any) -> datetime:
    """A stored time (UTC without a zone from the store); events stored before these fields existed count as old."""
    if not isinstance(value, datetime):
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _scan(database: MongoDatabase, collection: str) -> Iterator[dict[str, Any]]:
    yield from database[collection].find({})


def _capped(differences: list[str], limit: int, where: str) -> list[str]:
    if len(differences) <= limit:
        return differences
    return [*differences[:limit], f"{where}: and {len(differences) - limit} more differences"]
