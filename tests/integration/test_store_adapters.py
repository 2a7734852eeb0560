"""The MongoDB-protocol adapters pass the same contracts as the in-memory fakes, on the real store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import Infra
from journal_contract import JournalContract
from lease_contract import LeaseContract
from pymongo import MongoClient
from store_contract import CheckpointStoreContract, DisclosureStoreContract, LogStoreContract
from views_contract import CALENDAR, COORDINATOR, POLICY, T0, Story, ViewsContract, officer, routed

from suara_audit.adapters.checkpoints import MongoCheckpointStore
from suara_audit.adapters.disclosures import MongoDisclosureStore
from suara_audit.adapters.log_store import MongoLogStore
from suara_casework.adapters.deadline_index import MongoDeadlineIndex
from suara_casework.adapters.views import InMemoryComplaintViews, MongoComplaintViews
from suara_complaint import commands as c
from suara_intake.adapters.timeline import MongoTimeline
from suara_kit import codec
from suara_kit.events import Actor, ActorKind, ComplaintRouted, ComplaintSubmitted, Event, Priority, SourceChannel
from suara_kit.journal import Journal, MongoJournal, StoredEvent
from suara_kit.lease import Lease, MongoLease
from suara_kit.replay import Rebuilds

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

    def lose_outbox_entry(self, journal: Journal, event: StoredEvent) -> None:
        assert isinstance(journal, MongoJournal)
        journal._outbox.delete_one({"_id": f"{event.complaint_id}:{event.sequence:010d}"})


class TestMongoLease(LeaseContract):
    @pytest.fixture
    def lease_named(self, database: Any) -> Callable[[str], Lease]:
        return lambda name: MongoLease(database, name)


class TestMongoAuditStores(LogStoreContract, CheckpointStoreContract, DisclosureStoreContract):
    @pytest.fixture
    def log_store(self, database: Any) -> MongoLogStore:
        return MongoLogStore(database)

    @pytest.fixture
    def checkpoint_store(self, database: Any) -> MongoCheckpointStore:
        return MongoCheckpointStore(database)

    @pytest.fixture
    def disclosure_store(self, database: Any) -> MongoDisclosureStore:
        return MongoDisclosureStore(database)


class TestMongoComplaintViews(ViewsContract):
    @pytest.fixture
    def views(self, database: Any) -> MongoComplaintViews:
        views = MongoComplaintViews(database, POLICY, CALENDAR)
        views.ensure_indexes()
        return views


def test_the_mongo_complaint_views_hold_the_same_documents_as_the_fake(database: Any) -> None:
    """What `suara replay --check` relies on: the same events give the same document, whoever stores it."""
    fake, mongo = InMemoryComplaintViews(POLICY, CALENDAR), MongoComplaintViews(database, POLICY, CALENDAR)
    story = Story(routed(possible_duplicate_of=str(uuid.uuid4()))).apply_to(fake).apply_to(mongo)

    stored = database["complaint_views"].find_one({"_id": story.complaint_id})

    assert stored == fake.document(story.complaint_id)
    assert database["complaint_views_tracking"].find_one({"_id": story.tracking_number}) == {
        "_id": story.tracking_number,
        "complaint_id": story.complaint_id,
    }


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


@pytest.mark.parametrize(
    "build",
    [
        lambda database, collection: MongoComplaintViews(database, POLICY, CALENDAR, collection=collection),
        lambda database, collection: MongoDeadlineIndex(database, POLICY, CALENDAR, collection=collection),
        lambda database, collection: MongoTimeline(database, collection=collection),
    ],
    ids=["complaint-views", "deadline-index", "timeline"],
)
def test_a_replay_rebuild_writes_what_applying_event_by_event_writes(
    database: Any, build: Callable[[Any, str], Rebuilds]
) -> None:
    """suara_kit.replay.Rebuilds' contract, for each projection `suara replay` builds: a complaint's whole stream
    written at once leaves the same documents, in every collection, as its live consumer applying the events one by
    one (here in topic order with one event late, as a rebalance can deliver them)."""
    story = Story(routed()).do(c.HandBack, officer("DPUPR"), T0 + timedelta(hours=1), reason="saluran")
    story.do(c.Dispatch, COORDINATOR, T0 + timedelta(hours=2), opd="DLHKP")
    story.do(c.Acknowledge, officer("DLHKP"), T0 + timedelta(hours=3))
    story.tick(T0 + timedelta(days=30))
    story.do(c.Resolve, officer("DLHKP"), T0 + timedelta(days=31), resolution="dikeruk")
    assert len(story.events) > 10  # sequences past 9: keys compared as numbers, not text
    stream = [(codec.decode(data), data) for data in (codec.encode(e) for e in story.events)]
    stream = [*stream[:3], *stream[4:], stream[3]]
    second = Story(routed())  # another complaint in the same collections, untouched by the first one's rebuild
    second_stream = [(codec.decode(data), data) for data in (codec.encode(e) for e in second.events)]

    live, rebuilt = build(database, "live"), build(database, "rebuilt")
    for event, data in [*stream, *second_stream]:
        live.apply(event, data)
    rebuilt.rebuild(story.complaint_id, stream)
    rebuilt.rebuild(second.complaint_id, second_stream)
    rebuilt.rebuild(story.complaint_id, stream)  # a replay that is run again changes nothing

    names = sorted(n for n in database.list_collection_names() if n.startswith("live"))
    assert names
    for name in names:
        twin = "rebuilt" + name.removeprefix("live")
        live_documents = {d["_id"]: d for d in database[name].find({})}
        assert live_documents, name
        assert {d["_id"]: d for d in database[twin].find({})} == live_documents, name
