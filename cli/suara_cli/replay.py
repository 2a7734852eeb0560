"""`suara replay [--check]`: rebuild every read model from offset 0 of the events topic into fresh collections;
with --check, compare them with the live ones and the topic with the journal, and exit 1 naming any difference.

Talks to Kafka and the store directly (an operator's maintenance tool, like `suara-intake rebuild-timeline`);
defaults are `make run`'s, overridden by SUARA_KAFKA_BOOTSTRAP, SUARA_MONGO_URL and SUARA_MONGO_DB.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from pymongo import MongoClient

from suara_casework.adapters.deadline_index import MongoDeadlineIndex
from suara_casework.adapters.views import MongoComplaintViews
from suara_casework.entrypoints.clock import DEADLINE_INDEX_COLLECTION, DEADLINES_GROUP
from suara_casework.entrypoints.projector import VIEWS_COLLECTIONS, VIEWS_GROUP
from suara_cli.classify import REPOSITORY_CATALOGUE
from suara_complaint import Policy, WorkingCalendar, load_rules
from suara_intake.adapters.timeline import MongoTimeline
from suara_intake.bootstrap import TIMELINE_GROUP
from suara_kit.mongo import MongoDatabase
from suara_kit.replay import Projection, drop_fresh, replay


@functools.cache
def _rules() -> tuple[Policy, WorkingCalendar]:
    """The deadline rules, found as the casework service finds them (its settings' defaults), read once: the same
    files give the same due times, so the replayed read models can be compared with the live ones."""
    catalogue = Path(os.environ.get("SUARA_CATALOGUE_DIR", REPOSITORY_CATALOGUE))
    return load_rules(catalogue, Path(os.environ.get("SUARA_CALENDAR_DIR", catalogue.parent / "calendar")))


def _deadline_index(database: MongoDatabase, base: str) -> MongoDeadlineIndex:
    return MongoDeadlineIndex(database, *_rules(), collection=base)


def _complaint_views(database: MongoDatabase, base: str) -> MongoComplaintViews:
    return MongoComplaintViews(database, *_rules(), collection=base)


# Every read model of the events topic. A new projection is one entry here.
PROJECTIONS = (
    Projection(
        name="timeline",
        collections=("timeline", "timeline_tracking"),
        group=TIMELINE_GROUP,
        build=lambda database, base: MongoTimeline(database, collection=base),
    ),
    Projection(
        name="deadline-index",
        collections=(DEADLINE_INDEX_COLLECTION, f"{DEADLINE_INDEX_COLLECTION}_streams"),
        group=DEADLINES_GROUP,
        build=_deadline_index,
    ),
    Projection(name="complaint-views", collections=VIEWS_COLLECTIONS, group=VIEWS_GROUP, build=_complaint_views),
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "replay", help="rebuild the read models from the events topic; --check compares them with the live ones"
    )
    command.add_argument("--check", action="store_true", help="compare with the live read models and the journal")
    command.add_argument("--keep", action="store_true", help="keep the fresh collections after --check")
    command.add_argument(
        "--wait-for-live",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --check: how long to wait for the live projections' consumers to reach the topic's end "
        "(default 60; a projection still behind is reported, not compared)",
    )
    command.add_argument("--kafka", default=os.environ.get("SUARA_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    command.add_argument("--mongo", default=os.environ.get("SUARA_MONGO_URL", "mongodb://127.0.0.1:27017/"))
    command.add_argument("--database", default=os.environ.get("SUARA_MONGO_DB", "suara"))
    command.add_argument("--topic", default=os.environ.get("SUARA_EVENTS_TOPIC", "suara.complaints.events.v1"))


def run(args: argparse.Namespace) -> int:
    client: MongoClient[dict[str, object]] = MongoClient(args.mongo, tz_aware=True, serverSelectionTimeoutMS=5000)
    try:
        database = client[args.database]
        report = replay(
            database,
            args.kafka,
            args.topic,
            PROJECTIONS,
            check=args.check,
            progress=lambda line: print(line, file=sys.stderr),
            wait_for_live_seconds=args.wait_for_live,
        )
        print(
            f"events replayed: {report.events}" + (f" ({report.undecodable} undecodable)" if report.undecodable else "")
        )
        for live, fresh in report.fresh.items():
            print(f"  {live} -> {fresh} ({database[fresh].estimated_document_count()} documents)")
        if not args.check:
            print("fresh collections kept; `suara-intake rebuild-timeline` makes the live timeline replay itself")
            return 0
        if not args.keep:
            drop_fresh(database, report)
        if report.clean:
            print("check: clean (the read models match a replay; the topic matches the journal)")
            return 0
        print(f"check: {len(report.differences)} differences", file=sys.stderr)
        for difference in report.differences:
            print(f"  {difference}", file=sys.stderr)
        return 1
    finally:
        client.close()
