"""The audit service's composition root."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from suara_audit.adapters.checkpoints import MongoCheckpointStore
from suara_audit.adapters.disclosures import MongoDisclosureStore
from suara_audit.adapters.event_reader import read_event
from suara_audit.adapters.log_store import MongoLogStore
from suara_audit.adapters.signing_key import load_signers
from suara_audit.domain.note import CheckpointSigner, NoteSigner
from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_audit.entrypoints.sequencer_worker import COMPONENT, SequencerWorker
from suara_audit.handlers import AuditQueries, Checkpointer, CheckpointPolicy, Sequencer
from suara_audit.settings import AuditSettings
from suara_kit import mongo
from suara_kit.grpc_server import start_server, wait_for_shutdown_signal
from suara_kit.identity import authenticating
from suara_kit.kafka import ensure_topics, make_consumer, suara_topics
from suara_kit.service_main import watch_infrastructure

log = logging.getLogger(__name__)


def note_signers(settings: AuditSettings) -> list[NoteSigner]:
    """The log's signing keys: key files and/or a KMS hook (SUARA_AUDIT_SIGNER_FACTORY). Raises SigningKeyUnusable
    naming the variable, before anything is connected."""
    return load_signers(settings.signing_key_files, settings.signer_factory)


def run(settings: AuditSettings) -> None:
    common = settings.common
    signer = CheckpointSigner(settings.origin, note_signers(settings))
    log.info("signing checkpoints of %s with verifier keys %s", settings.origin, ", ".join(signer.verifier_keys()))
    ensure_topics(common.kafka_bootstrap, suara_topics(common))
    database = mongo.connect(common.mongo_url, common.mongo_database, "suara-audit")
    store, checkpoints, disclosures = (
        MongoLogStore(database),
        MongoCheckpointStore(database),
        MongoDisclosureStore(database),
    )
    ttl = timedelta(seconds=settings.lease_ttl_s)
    sequencer = Sequencer(
        store=store,
        disclosures=disclosures,
        read_event=read_event,
        origin=settings.origin,
        owner=f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}",
        lease_ttl=ttl,
    )
    checkpointer = Checkpointer(
        sequencer=sequencer,
        checkpoints=checkpoints,
        signer=signer,
        policy=CheckpointPolicy(settings.checkpoint_every, timedelta(seconds=settings.checkpoint_interval_s)),
    )
    queries = AuditQueries(store=store, checkpoints=checkpoints, disclosures=disclosures, signer=signer)
    server = start_server(
        settings.listen,
        [audit_service(AuditServicer(queries))],
        interceptors=[authenticating(settings.identity)],
    )
    worker = SequencerWorker(
        sequencer=sequencer,
        checkpointer=checkpointer,
        make_consumer=lambda: make_consumer(common.kafka_bootstrap, settings.consumer_group, common.events_topic),
        lease_ttl_s=settings.lease_ttl_s,
        # An event that cannot be logged holds its partition: NOT_SERVING, naming it (decision 0055).
        health=lambda problem: server.report(COMPONENT, problem),
    )
    log.info("audit: sequencer %s for %s; API on %s", sequencer.owner, common.events_topic, settings.listen)
    watch_infrastructure(server, common)
    server.mark_serving()
    thread = server.run_worker("audit-sequencer", worker.run)
    wait_for_shutdown_signal()
    server.stop(10)
    worker.stop()
    thread.join(timeout=20)  # releases the lease on the way out, so a successor takes over at once
