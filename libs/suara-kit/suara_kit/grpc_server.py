"""A gRPC server with the standard health and reflection services, and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    full_name: str  # e.g. "suara.v1.ComplaintService"
    register: Callable[[grpc.Server], None]


Check = Callable[[], None]
LIVENESS = "liveness"
NOT_YET = "not probed yet"


@dataclass
class RunningServer:
    """A started server and what its health check says.

    The overall status ("" and every service name) is SERVING only when the service said it is ready
    (mark_serving) and every component is up. Each component has its own name in the health service too, so
    `grpc_health_probe -service store` (or grpcurl) tells what is wrong; `problems()` gives the details, and every
    change is logged with them: "store" and "broker" (periodic probes, see watch), "worker:<name>" (run_worker).
    "liveness" is SERVING while the process runs, whatever its dependencies do (for a liveness probe).
    """

    server: grpc.Server
    health: health.HealthServicer
    port: int
    service_names: tuple[str, ...]
    _ready: bool = False
    _problems: dict[str, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def mark_serving(self) -> None:
        with self._lock:
            self._ready = True
            self._publish()

    def mark_not_serving(self) -> None:
        with self._lock:
            self._ready = False
            self._publish()

    def report(self, component: str, problem: str | None) -> None:
        """Say that `component` works (None) or what is wrong with it."""
        with self._lock:
            before = self._problems.get(component, NOT_YET)
            self._problems[component] = problem
            if problem != before and problem != NOT_YET:
                if problem is None:
                    log.info("%s is up", component, extra={"component": component})
                else:
                    log.warning("%s is down: %s", component, problem, extra={"component": component})
            self._publish()

    def problems(self) -> dict[str, str]:
        """What is wrong, per component (empty: nothing)."""
        with self._lock:
            return {name: problem for name, problem in self._problems.items() if problem is not None}

    def _publish(self) -> None:
        serving = health_pb2.HealthCheckResponse.SERVING
        not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
        for component, problem in self._problems.items():
            self.health.set(component, not_serving if problem is not None or self._stopping.is_set() else serving)
        up = self._ready and not self._stopping.is_set() and all(p is None for p in self._problems.values())
        for name in ("", *self.service_names):
            self.health.set(name, serving if up else not_serving)
        # For a liveness probe: the process answers. A store or broker outage is no reason to restart it (the
        # workers are restarted in-process), so this name stays SERVING until the server stops.
        self.health.set(LIVENESS, not_serving if self._stopping.is_set() else serving)

    def stop(self, grace_seconds: float = 10.0) -> None:
        self._stopping.set()
        self.mark_not_serving()
        self.server.stop(grace_seconds).wait()

    def run_worker(
        self, name: str, work: Callable[[], None], backoff_seconds: float = 1.0, max_backoff_seconds: float = 30.0
    ) -> threading.Thread:
        """Run `work` (a consumer loop) in a background thread, supervised: if it raises, or returns while the
        server is not stopping, it is started again after a pause that doubles up to `max_backoff_seconds` (and
        starts over once a run lasted a minute). While it is down, "worker:<name>" and the overall health say
        NOT_SERVING. `work` must be safe to call again after it failed (ConsumerLoop.run is)."""
        component = f"worker:{name}"

        def supervise() -> None:
            pause = backoff_seconds
            while not self._stopping.is_set():
                self.report(component, None)
                started = time.monotonic()
                try:
                    work()
                    problem = "stopped by itself"
                except Exception as error:
                    log.exception("worker %s died", name)
                    problem = f"died: {type(error).__name__}: {str(error)[:200]}"
                if self._stopping.is_set():
                    return
                if time.monotonic() - started > 60:
                    pause = backoff_seconds
                self.report(component, f"{problem}; restarting in {pause:.0f} s")
                self._stopping.wait(pause)
                pause = min(pause * 2, max_backoff_seconds)

        self.report(component, None)
        thread = threading.Thread(target=supervise, name=name, daemon=True)
        thread.start()
        return thread

    def watch(self, component: str, check: Check, interval_seconds: float = 5.0, timeout_seconds: float = 5.0) -> None:
        """Call `check` every `interval_seconds` in a background thread; while it raises, or does not return within
        `timeout_seconds`, `component` is down with the error as the detail."""

        def probe() -> None:
            with futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"probe-{component}") as pool:
                while not self._stopping.is_set():
                    attempt = pool.submit(check)
                    try:
                        attempt.result(timeout=timeout_seconds)
                        self.report(component, None)
                    except futures.TimeoutError:
                        self.report(component, f"no answer within {timeout_seconds:g} s")
                        futures.wait([attempt])  # one probe at a time, however long a hung one takes
                    except Exception as error:
                        self.report(component, f"{type(error).__name__}: {str(error)[:200]}")
                    self._stopping.wait(interval_seconds)

        self.report(component, NOT_YET)
        threading.Thread(target=probe, name=f"watch-{component}", daemon=True).start()


def start_server(
    address: str,
    services: Sequence[Service],
    max_workers: int = 32,
    interceptors: Sequence[grpc.ServerInterceptor] = (),
) -> RunningServer:
    """Start serving on `address` ("host:port"; port 0 picks a free one). Health starts NOT_SERVING until
    mark_serving(), so readiness probes wait for the service's own dependencies. `interceptors`: e.g.
    suara_kit.identity's AuthInterceptor, which authenticates every call except health and reflection."""
    # No SO_REUSEPORT: a second server on a taken port must fail loudly, not silently share the traffic.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers),
        interceptors=tuple(interceptors),
        options=[("grpc.so_reuseport", 0)],
    )
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
    running = RunningServer(server, health_servicer, port, names)
    running.mark_not_serving()
    return running


def wait_for_shutdown_signal() -> None:
    """Block until SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
