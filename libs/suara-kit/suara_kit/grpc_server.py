"""A gRPC server with the standard health and reflection services, and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    full_name: str  # e.g. "suara.v1.ComplaintService"
    register: Callable[[grpc.Server], None]


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int
    service_names: tuple[str, ...]

    def mark_serving(self) -> None:
        for name in ("", *self.service_names):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def mark_not_serving(self) -> None:
        for name in ("", *self.service_names):
            self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)

    def stop(self, grace_seconds: float = 10.0) -> None:
        self.mark_not_serving()
        self.server.stop(grace_seconds).wait()

    def run_worker(self, name: str, work: Callable[[], None]) -> threading.Thread:
        """Run `work` (a consumer loop) in a background thread. If it ever returns or raises, the health check
        says NOT_SERVING, so the orchestrator restarts the process instead of leaving a server that consumes
        nothing."""

        def guarded() -> None:
            try:
                work()
            except Exception:
                log.exception("worker %s died", name)
            finally:
                self.mark_not_serving()

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        return thread


def start_server(address: str, services: Sequence[Service], max_workers: int = 32) -> RunningServer:
    """Start serving on `address` ("host:port"; port 0 picks a free one). Health starts NOT_SERVING until
    mark_serving(), so readiness probes wait for the service's own dependencies."""
    # No SO_REUSEPORT: a second server on a taken port must fail loudly, not silently share the traffic.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=[("grpc.so_reuseport", 0)])
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for service in services:
        service.register(server)
    names = tuple(s.full_name for s in services)
    reflection.enable_server_reflection(
        (*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )
    port = server.add_insecure_port(address)  # raises RuntimeError when the address cannot be bound
    server.start()
    for name in ("", *names):
        health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    return RunningServer(server, health_servicer, port, names)


def wait_for_shutdown_signal() -> None:
    """Block until SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
