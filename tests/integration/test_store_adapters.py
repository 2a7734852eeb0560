"""The MongoDB-protocol adapters pass the same contracts as the in-memory fakes, on the real store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from audit_log_contract import AuditLogContract
from harness import Infra
from journal_contract import JournalContract
from pymongo import MongoClient

from suara_audit.adapters.audit_log import MongoAuditLog
from suara_audit.domain.chain import Received, RecordIndex
from suara_intake.adapters.timeline import MongoTimeline
from suara_kit.events import Actor, ActorKind, ComplaintRouted, ComplaintSubmitted, Event, Priority, SourceChannel
from suara_kit.journal import MongoJournal

pytestmark = pytest.mark.integration


@pytest.fixture
def database(infra: Infra) -> Iterator[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_url, tz_aware=True)
    name = f"suara_contract_{uuid.uuid4().hex[:8]}"
    yield client[name]
    client.drop_database(name)
    client.close()


class TestMongoJournal(JournalContract):
    @pytest.fixture
    def journal(self, database: Any) -> MongoJournal:
        journal = MongoJournal(database)
        journal.ensure_indexes()
        return journal


class TestMongoAuditLog(AuditLogContract):
    @pytest.fixture
    def audit_log(self, database: Any) -> MongoAuditLog:
        audit_log = MongoAuditLog(database)
        audit_log.ensure_indexes()
        return audit_log


def received(event_id: str, position_hint: int) -> Received:
    return Received(
        b"record-%d" % position_hint,
        RecordIndex(event_id, str(uuid.uuid4()), 1, "ComplaintSubmitted"),
        "t",
        0,
        position_hint,
    )


def test_the_audit_log_finds_its_head_again_after_a_restart_past_the_hint(database: Any) -> None:
    first = MongoAuditLog(database)
    first.ensure_indexes()
    for n in range(1, MongoAuditLog.HINT_EVERY + 8):
        first.append(received(str(uuid.uuid4()), n), datetime.now(UTC))

    restarted = MongoAuditLog(database)
    head = restarted.head()
    assert head is not None and head.position == MongoAuditLog.HINT_EVERY + 7
    entry = restarted.append(received(str(uuid.uuid4()), 99), datetime.now(UTC))
    assert entry is not None and entry.position == head.position + 1 and entry.previous_hash == head.entry_hash


def test_an_entry_whose_index_document_was_lost_in_a_crash_is_not_logged_twice(database: Any) -> None:
    audit_log = MongoAuditLog(database)
    audit_log.ensure_indexes()
    event_id = str(uuid.uuid4())
    audit_log.append(received(event_id, 1), datetime.now(UTC))
    database["audit_log_events"].delete_one({"_id": event_id})  # as if the writer died before writing it

    assert MongoAuditLog(database).append(received(event_id, 1), datetime.now(UTC)) is None
    assert database["audit_log"].count_documents({}) == 1
    assert database["audit_log_events"].find_one({"_id": event_id})["position"] == 1


def _event(complaint_id: str, sequence: int, payload: Any) -> Event:
    return Event(
        str(uuid.uuid4()),
        complaint_id,
        sequence,
        datetime.now(UTC),
        Actor(ActorKind.SERVICE, "t"),
        "c",
        "c",
        "t",
        payload,
    )


def test_the_mongo_timeline_orders_events_finds_by_tracking_number_and_ignores_repeats(database: Any) -> None:
    timeline = MongoTimeline(database)
    complaint_id = str(uuid.uuid4())
    submitted = _event(
        complaint_id,
        1,
        ComplaintSubmitted(
            "KDR-AAAAA-BBBBB",
            "text",
            "sampah",
            "35.71.02.1004",
            "Ngadirejo",
            "Kota",
            SourceChannel.WHATSAPP,
            False,
            False,
            "k",
        ),
    )
    routed = _event(
        complaint_id, 2, ComplaintRouted("DLHKP", "DLHKP", Priority.NORMAL, datetime.now(UTC), "R-1", "why")
    )
    for sequence in range(3, 12):  # more than nine, so order must be numeric, not textual
        timeline.apply(_event(complaint_id, sequence, routed.payload), b"later-%d" % sequence)
    timeline.apply(routed, b"routed")
    timeline.apply(submitted, b"submitted")
    timeline.apply(submitted, b"submitted")

    by_id = timeline.find(complaint_id)
    by_tracking = timeline.find("kdr-aaaaa-bbbbb")
    assert by_id is not None and by_id == by_tracking
    assert [e.sequence for e in by_id.entries] == list(range(1, 12))
    assert by_id.entries[0].data == b"submitted" and by_id.tracking_number == "KDR-AAAAA-BBBBB"
    assert timeline.find(str(uuid.uuid4())) is None and timeline.find("KDR-ZZZZZ-ZZZZZ") is None
    timeline.clear()
    assert timeline.find(complaint_id) is None
