"""What every service process shares: read settings (failing fast, by name), set up logging, run, shut down."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

from kafka import KafkaProducer

from suara_kit import log as suara_log
from suara_kit import mongo
from suara_kit.grpc_server import RunningServer, wait_for_shutdown_signal
from suara_kit.journal import MongoJournal
from suara_kit.kafka import BrokerProbe, ConsumerLoop
from suara_kit.lease import MongoLease
from suara_kit.mongo import MongoDatabase
from suara_kit.publishing import KafkaEventPublisher
from suara_kit.relay import LEASE_NAME, Relay, RelaySettings, owner_name
from suara_kit.settings import CommonSettings, InvalidSetting, MissingSetting


class HasCommon(Protocol):
    @property
    def common(self) -> CommonSettings: ...


S = TypeVar("S", bound=HasCommon)


def run_service(name: str, load_settings: Callable[[], S], run: Callable[[S], object]) -> int:
    """Exit code 2, with the variable named, when configuration is missing or invalid."""
    try:
        settings = load_settings()
    except (MissingSetting, InvalidSetting) as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    suara_log.configure(name, settings.common.log_level)
    run(settings)
    return 0


def watch_infrastructure(server: RunningServer, common: CommonSettings) -> None:
    """Probe the store and the broker every few seconds; the health check says NOT_SERVING while either is down
    (components "store" and "broker")."""
    server.watch("store", mongo.store_probe(common.mongo_url))
    server.watch("broker", BrokerProbe(common.kafka_bootstrap))


class Worker(Protocol):
    """A long-running loop the server supervises (a ConsumerLoop, the Relay)."""

    def run(self) -> None: ...

    def stop(self) -> None: ...


def serve_until_shutdown(server: RunningServer, workers: Mapping[str, Worker], grace_seconds: float) -> None:
    """Mark the server SERVING, run the workers beside it, and on SIGTERM/SIGINT stop taking requests, let
    in-flight ones finish, stop the workers (a consumer loop commits nothing it has not handled; the relay leaves
    unpublished events in the outbox) and wait for them."""
    server.mark_serving()
    for worker in workers.values():
        if isinstance(worker, ConsumerLoop):  # it says which partition waits at an event too new for its code
            worker.report_health_to(server.report)
    threads = [server.run_worker(name, worker.run) for name, worker in workers.items()]
    wait_for_shutdown_signal()
    server.stop(grace_seconds)
    for worker in workers.values():
        worker.stop()
    for thread in threads:
        thread.join(timeout=15)


def make_relay(database: MongoDatabase, producer: KafkaProducer, common: CommonSettings, service: str) -> Relay:
    """The process's relay (suara_kit.relay), competing for the one relay lease. Hand its `nudge` to the
    ComplaintStore (`appended`), then `relay.report_to(server)` and run it as a worker (serve_until_shutdown)."""
    return Relay(
        MongoJournal(database),
        # A round waits for the broker's acknowledgements at most half a lease, so a holder never loses its lease
        # while waiting (another process would take over and both would publish the same events).
        KafkaEventPublisher(producer, common.events_topic, timeout_seconds=RelaySettings().lease_seconds / 2),
        MongoLease(database, LEASE_NAME),
        owner_name(service),
    )
