"""Casework's composition root: the one place that builds adapters and wires them into the RPCs and workers.

One process serves the CaseworkService (commands and queries), keeps its read models (complaint views, deadline
index) by consuming the events topic, runs the deadline clock, and takes its turn at relaying (suara_kit.relay).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from suara_casework.adapters.views import ComplaintViews, MongoComplaintViews
from suara_casework.entrypoints.clock import build_clock
from suara_casework.entrypoints.grpc_api import CommandRpcs, casework_service
from suara_casework.entrypoints.projector import VIEWS_GROUP, views_projector
from suara_casework.entrypoints.queries import QueryRpcs
from suara_casework.settings import CaseworkSettings
from suara_complaint import load_rules
from suara_kit import mongo
from suara_kit.clock import service_clock
from suara_kit.complaints import ComplaintStore
from suara_kit.grpc_server import start_server
from suara_kit.identity import authenticating
from suara_kit.journal import MongoJournal
from suara_kit.kafka import ConsumerLoop, DeadLetters, ensure_topics, make_consumer, make_producer, suara_topics
from suara_kit.service_main import make_relay, serve_until_shutdown, watch_infrastructure

log = logging.getLogger(__name__)
PRODUCER = "suara-casework"


def utc_now() -> datetime:
    return datetime.now(UTC)


class CaseworkServicer(CommandRpcs, QueryRpcs):
    """Every RPC of CaseworkService: commands through the one write path, queries from the read models."""

    def __init__(self, store: ComplaintStore, views: ComplaintViews, clock: Callable[[], datetime] = utc_now) -> None:
        CommandRpcs.__init__(self, store)
        QueryRpcs.__init__(self, views, clock)


def run(settings: CaseworkSettings) -> None:
    common = settings.common
    policy, calendar = load_rules(settings.catalogue_dir, settings.calendar_dir)
    ensure_topics(common.kafka_bootstrap, suara_topics(common))
    database = mongo.connect(common.mongo_url, common.mongo_database, PRODUCER)
    journal = MongoJournal(database)
    journal.ensure_indexes()
    producer = make_producer(common.kafka_bootstrap, PRODUCER)
    relay = make_relay(database, producer, common, PRODUCER)
    now = service_clock(settings.test_clock, database, PRODUCER)  # the system clock unless a test says otherwise
    store = ComplaintStore(journal, policy, calendar, producer=PRODUCER, appended=relay.nudge, clock=now)
    views = MongoComplaintViews(database, policy, calendar)
    views.ensure_indexes()
    views_loop = ConsumerLoop(
        make_consumer(common.kafka_bootstrap, VIEWS_GROUP, common.events_topic),
        views_projector(views),
        DeadLetters(producer, common.deadletter_topic, VIEWS_GROUP),
    )
    clock = build_clock(database, store, common, producer, interval_seconds=settings.clock_interval_seconds)
    server = start_server(
        settings.listen,
        [casework_service(CaseworkServicer(store, views, now))],
        interceptors=[authenticating(settings.identity)],
    )
    relay.report_to(server)
    watch_infrastructure(server, common)
    log.info("casework serving on %s", settings.listen)
    serve_until_shutdown(server, {"views": views_loop, **clock.workers(), "relay": relay}, grace_seconds=10)
    producer.flush()
    producer.close()
