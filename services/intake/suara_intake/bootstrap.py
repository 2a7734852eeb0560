"""Intake's composition root: the one place that builds adapters and wires them into the handlers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import KafkaConsumer

from suara_complaint import Policy
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.policy import load_rules
from suara_intake import handlers
from suara_intake.adapters.catalogue_files import load_catalogue
from suara_intake.adapters.contacts import ContactStore, MongoContactStore
from suara_intake.adapters.timeline import MongoTimeline, Timeline, TimelineView
from suara_intake.domain.model import IntakeCatalogue, SubmitComplaint
from suara_intake.entrypoints.grpc_api import ComplaintServicer, complaint_service
from suara_intake.entrypoints.projector import timeline_projector
from suara_intake.settings import IntakeSettings
from suara_kit import mongo
from suara_kit.complaints import ComplaintStore
from suara_kit.grpc_server import RunningServer, start_server
from suara_kit.identity import authenticating
from suara_kit.journal import Journal, MongoJournal
from suara_kit.kafka import ConsumerLoop, DeadLetters, ensure_topics, make_consumer, make_producer, suara_topics
from suara_kit.service_main import make_relay, serve_until_shutdown, watch_infrastructure

log = logging.getLogger(__name__)
TIMELINE_GROUP = "suara-intake-timeline"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Intake:
    submit: Callable[[SubmitComplaint, str], handlers.Receipt]
    trace: Callable[[str], TimelineView]
    complaints: ComplaintStore
    timeline: Timeline


def wire(
    *,
    catalogue: IntakeCatalogue,
    rules: tuple[Policy, WorkingCalendar],
    journal: Journal,
    appended: Callable[[], None],
    contacts: ContactStore,
    timeline: Timeline,
    clock: Callable[[], datetime] = utc_now,
) -> Intake:
    """Bind the handlers to their dependencies. Tests call this with fakes; `run` with the real adapters.
    `appended` is the relay's nudge: intake only appends; the relay publishes (suara_kit.relay). `rules` are the
    deployment's deadline policy and calendar, which the aggregate decides a submission with."""
    # Real time: a complaint's first deadline starts when it arrives (decision 0026).
    complaints = ComplaintStore(journal, *rules, producer=handlers.PRODUCER, appended=appended, clock=clock)

    def submit(command: SubmitComplaint, request_id: str) -> handlers.Receipt:
        return handlers.submit_complaint(
            command, catalogue=catalogue, complaints=complaints, contacts=contacts, request_id=request_id
        )

    return Intake(submit, functools.partial(handlers.trace_complaint, timeline=timeline), complaints, timeline)


def run(settings: IntakeSettings) -> None:
    """Serve until SIGTERM: the gRPC API, and the timeline projector in a background thread."""
    common = settings.common
    database = mongo.connect(common.mongo_url, common.mongo_database, "suara-intake")
    journal = MongoJournal(database)
    journal.ensure_indexes()
    timeline = MongoTimeline(database)
    timeline.ensure_indexes()
    ensure_topics(common.kafka_bootstrap, suara_topics(common))
    producer = make_producer(common.kafka_bootstrap, "suara-intake")
    relay = make_relay(database, producer, common, "suara-intake")
    intake = wire(
        catalogue=load_catalogue(settings.catalogue_dir),
        rules=load_rules(settings.catalogue_dir, settings.calendar_dir),
        journal=journal,
        appended=relay.nudge,
        contacts=MongoContactStore(database),
        timeline=timeline,
    )
    projector = ConsumerLoop(
        make_consumer(common.kafka_bootstrap, TIMELINE_GROUP, common.events_topic),
        timeline_projector(timeline),
        DeadLetters(producer, common.deadletter_topic, TIMELINE_GROUP),
    )
    server: RunningServer = start_server(
        settings.listen,
        [complaint_service(ComplaintServicer(intake.submit, intake.trace))],
        interceptors=[authenticating(settings.identity)],
    )
    relay.report_to(server)
    watch_infrastructure(server, common)
    log.info("intake serving on %s", settings.listen)
    serve_until_shutdown(server, {"timeline-projector": projector, "relay": relay}, grace_seconds=10)
    log.info("shut down")
    producer.flush()
    producer.close()


def rebuild_timeline(settings: IntakeSettings) -> int:
    """Drop the timeline and move the projector's offsets back to the start of the log. Run with intake stopped;
    the next `serve` replays every event. Returns how many partitions were reset."""
    from kafka import OffsetAndMetadata, TopicPartition

    common = settings.common
    database = mongo.connect(common.mongo_url, common.mongo_database, "suara-intake-rebuild")
    consumer = KafkaConsumer(
        bootstrap_servers=common.kafka_bootstrap.split(","), group_id=TIMELINE_GROUP, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(common.events_topic, p)
            for p in sorted(consumer.partitions_for_topic(common.events_topic) or ())
        ]
        beginnings = consumer.beginning_offsets(partitions)
        consumer.assign(partitions)
        MongoTimeline(database).clear()
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in beginnings.items()})
        return len(partitions)
    finally:
        consumer.close(autocommit=False)
