"""The router's composition root."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import faust

from suara_complaint import load_rules
from suara_kit import mongo
from suara_kit.clock import service_clock
from suara_kit.complaints import ComplaintStore, Outcome
from suara_kit.events import Event
from suara_kit.grpc_server import start_server
from suara_kit.journal import MongoJournal
from suara_kit.kafka import ensure_topics, make_producer, suara_topics
from suara_kit.service_main import make_relay, watch_infrastructure
from suara_router import handlers
from suara_router.adapters.catalogue_files import load_catalogue
from suara_router.adapters.recent_complaints import MongoRecentComplaints
from suara_router.adapters.text_classifier import load_classifier
from suara_router.entrypoints.faust_app import add_router_agent, make_app
from suara_router.settings import RouterSettings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def run(settings: RouterSettings) -> None:
    common = settings.common
    catalogue = load_catalogue(settings.catalogue_dir)
    classifier = load_classifier(settings.catalogue_dir)  # fails fast: a missing or altered model stops the start
    log.info("routing model %s loaded from %s", classifier.version, settings.catalogue_dir / "model")
    ensure_topics(common.kafka_bootstrap, suara_topics(common))
    database = mongo.connect(common.mongo_url, common.mongo_database, "suara-router")
    journal = MongoJournal(database)
    journal.ensure_indexes()

    app = make_app(common.kafka_bootstrap, common.topic_partitions, settings.data_dir)
    events = app.topic(common.events_topic, value_type=bytes, key_type=bytes, partitions=common.topic_partitions)
    dead_letters = app.topic(common.deadletter_topic, value_type=bytes, key_type=bytes, partitions=1)
    health = start_server(settings.health_listen, [])
    watch_infrastructure(health, common)
    # The router only appends; the relay (one lease across all writers) publishes, from a thread of its own.
    producer = make_producer(common.kafka_bootstrap, "suara-router-relay")
    relay = make_relay(database, producer, common, "suara-router")
    relay.report_to(health)
    relay_thread = health.run_worker("relay", relay.run)
    complaints = ComplaintStore(
        journal,
        *load_rules(settings.catalogue_dir, settings.calendar_dir),
        producer=handlers.PRODUCER,
        appended=relay.nudge,
        # Routing and re-dispatch decide on this clock (a test clock only when settings say so, decision 0026).
        clock=service_clock(settings.test_clock, database, "suara-router"),
    )

    def make_handler(loop: asyncio.AbstractEventLoop) -> Callable[[Event], Outcome | None]:
        deps = handlers.RouterDeps(
            catalogue=catalogue,
            classifier=classifier,
            duplicates=classifier.duplicates,
            recent=MongoRecentComplaints(database),
            complaints=complaints,
            clock=utc_now,
            coordinator_desk=classifier.coordinator_desk,
            dispatchable=classifier.dispatchable,
        )
        return functools.partial(handlers.handle_event, deps=deps)

    add_router_agent(app, events, dead_letters, make_handler, report=health.report)

    @app.task  # type: ignore[untyped-decorator]  # faust publishes no type information
    async def started() -> None:
        health.mark_serving()
        log.info("router consuming %s; health on %s", common.events_topic, settings.health_listen)

    try:
        faust.Worker(app, loglevel=common.log_level.lower()).execute_from_commandline()
    finally:
        health.stop(grace_seconds=2)
        relay.stop()
        relay_thread.join(timeout=10)
        producer.close()
