"""The notifier's composition root."""

from __future__ import annotations

import logging

from kafka.consumer.fetcher import ConsumerRecord

from suara_complaint import load_rules
from suara_kit import codec, mongo
from suara_kit.complaints import ComplaintStore
from suara_kit.grpc_server import start_server
from suara_kit.journal import MongoJournal
from suara_kit.kafka import (
    ConsumerLoop,
    DeadLetters,
    Handler,
    ensure_topics,
    make_consumer,
    make_producer,
    suara_topics,
)
from suara_kit.service_main import make_relay, serve_until_shutdown, watch_infrastructure
from suara_notifier import handlers
from suara_notifier.adapters.channels import SmtpChannel
from suara_notifier.adapters.directory_file import load_directory
from suara_notifier.adapters.stores import MongoComplaintBook, MongoDeliveryLog
from suara_notifier.settings import NotifierSettings

log = logging.getLogger(__name__)
GROUP = "suara-notifier"


def event_handler(deps: handlers.NotifierDeps) -> Handler:
    def handle(record: ConsumerRecord) -> None:
        event = codec.decode(bytes(record.value))
        for recorded in handlers.handle_event(event, deps):
            if recorded.created:
                log.info(
                    "staff notified", extra={"complaint_id": event.complaint_id, "event_id": recorded.event.event_id}
                )

    return handle


def run(settings: NotifierSettings) -> None:
    common = settings.common
    directory = load_directory(settings.staff_directory)
    ensure_topics(common.kafka_bootstrap, suara_topics(common))
    database = mongo.connect(common.mongo_url, common.mongo_database, "suara-notifier")
    journal = MongoJournal(database)
    journal.ensure_indexes()
    producer = make_producer(common.kafka_bootstrap, "suara-notifier")
    relay = make_relay(database, producer, common, "suara-notifier")
    policy, calendar = load_rules(settings.catalogue_dir, settings.calendar_dir)
    complaints = ComplaintStore(journal, policy, calendar, producer="suara-notifier", appended=relay.nudge)
    deps = handlers.NotifierDeps(
        directory=directory,
        book=MongoComplaintBook(database),
        channel=SmtpChannel(settings.smtp_host, settings.smtp_port, settings.mail_from),
        deliveries=MongoDeliveryLog(database),
        complaints=complaints,
    )
    consumer = make_consumer(common.kafka_bootstrap, GROUP, common.events_topic)
    loop = ConsumerLoop(consumer, event_handler(deps), DeadLetters(producer, common.deadletter_topic, GROUP))
    health = start_server(settings.health_listen, [])
    relay.report_to(health)
    watch_infrastructure(health, common)
    log.info(
        "notifier consuming %s; alerts via SMTP %s:%d", common.events_topic, settings.smtp_host, settings.smtp_port
    )
    serve_until_shutdown(health, {"notifier": loop, "relay": relay}, grace_seconds=2)
    producer.close()
