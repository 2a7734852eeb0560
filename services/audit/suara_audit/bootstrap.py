"""The audit service's composition root."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from kafka.consumer.fetcher import ConsumerRecord

from suara_audit import handlers
from suara_audit.adapters.audit_log import AuditLog, MongoAuditLog
from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_audit.settings import AuditSettings
from suara_kit import mongo
from suara_kit.grpc_server import start_server
from suara_kit.kafka import (
    ConsumerLoop,
    DeadLetters,
    Handler,
    ensure_topics,
    make_consumer,
    make_producer,
    suara_topics,
)
from suara_kit.service_main import serve_until_shutdown

log = logging.getLogger(__name__)
GROUP = "suara-audit"


def record_handler(audit_log: AuditLog) -> Handler:
    log_event = functools.partial(handlers.log_event, audit_log=audit_log, clock=lambda: datetime.now(UTC))

    def handle(record: ConsumerRecord) -> None:
        entry = log_event(bytes(record.value), topic=record.topic, partition=record.partition, offset=record.offset)
        if entry is not None:
            log.debug("logged", extra={"event_id": entry.index.event_id, "complaint_id": entry.index.complaint_id})

    return handle


def run(settings: AuditSettings) -> None:
    common = settings.common
    ensure_topics(common.kafka_bootstrap, suara_topics(common))
    database = mongo.connect(common.mongo_url, common.mongo_database, "suara-audit")
    audit_log = MongoAuditLog(database)
    audit_log.ensure_indexes()
    producer = make_producer(common.kafka_bootstrap, "suara-audit")
    consumer = make_consumer(common.kafka_bootstrap, GROUP, common.events_topic)
    loop = ConsumerLoop(consumer, record_handler(audit_log), DeadLetters(producer, common.deadletter_topic, GROUP))
    server = start_server(settings.listen, [audit_service(AuditServicer(audit_log))])
    log.info("audit consuming %s; export API on %s", common.events_topic, settings.listen)
    serve_until_shutdown(server, "audit-log", loop, grace_seconds=10)
    producer.close()
