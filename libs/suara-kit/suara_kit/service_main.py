"""What every service process shares: read settings (failing fast, by name), set up logging, run, shut down."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol, TypeVar

from suara_kit import log as suara_log
from suara_kit import mongo
from suara_kit.grpc_server import RunningServer, wait_for_shutdown_signal
from suara_kit.kafka import BrokerProbe, ConsumerLoop
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


def serve_until_shutdown(server: RunningServer, worker_name: str, loop: ConsumerLoop, grace_seconds: float) -> None:
    """Mark the server SERVING, run the consumer loop beside it, and on SIGTERM/SIGINT stop taking requests,
    let in-flight ones finish, stop the loop (it commits nothing it has not handled) and wait for it."""
    server.mark_serving()
    worker = server.run_worker(worker_name, loop.run)
    wait_for_shutdown_signal()
    server.stop(grace_seconds)
    loop.stop()
    worker.join(timeout=15)
