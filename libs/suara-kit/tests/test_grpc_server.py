"""The shared gRPC server: standard health checking that says NOT_SERVING until the service says it is ready."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pymongo.errors import ServerSelectionTimeoutError

from suara_kit.grpc_server import RunningServer, start_server
from suara_kit.healthcheck import is_serving, wait_until_serving
from suara_kit.mongo import store_probe


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = start_server("127.0.0.1:0", [])
    yield running
    running.stop(grace_seconds=0)


def health_status(port: int, service: str = "") -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    return int(reply.status)


def test_a_started_server_listens_on_a_free_port_and_is_not_serving_yet(server: RunningServer) -> None:
    assert server.port > 0
    assert health_status(server.port) == health_pb2.HealthCheckResponse.NOT_SERVING
    assert is_serving(f"127.0.0.1:{server.port}") is False


def test_mark_serving_makes_the_health_check_answer_serving(server: RunningServer) -> None:
    server.mark_serving()

    assert health_status(server.port) == health_pb2.HealthCheckResponse.SERVING
    assert is_serving(f"127.0.0.1:{server.port}") is True
    assert wait_until_serving([f"127.0.0.1:{server.port}"], timeout=5) == []


def test_stopping_the_server_first_reports_not_serving() -> None:
    running = start_server("127.0.0.1:0", [])
    running.mark_serving()

    running.stop(grace_seconds=0)

    assert running.health.Check(health_pb2.HealthCheckRequest(service=""), None).status == (
        health_pb2.HealthCheckResponse.NOT_SERVING
    )
    assert is_serving(f"127.0.0.1:{running.port}", timeout=0.5) is False


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def eventually(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_a_worker_that_dies_is_restarted_and_health_is_not_serving_while_it_is_down(server: RunningServer) -> None:
    server.mark_serving()
    runs: list[float] = []
    resume = threading.Event()

    def work() -> None:
        runs.append(time.monotonic())
        if len(runs) <= 2:
            raise RuntimeError("commit failed")
        resume.wait()  # the third run keeps going, as a healthy consumer loop does

    server.run_worker("consumer", work, backoff_seconds=0.3, max_backoff_seconds=10)

    eventually(lambda: len(runs) >= 1 and health_status(server.port) == NOT_SERVING)
    assert "commit failed" in server.problems()["worker:consumer"]
    assert health_status(server.port, "worker:consumer") == NOT_SERVING
    eventually(lambda: len(runs) == 3)
    eventually(lambda: health_status(server.port) == SERVING)
    assert server.problems() == {}
    assert runs[2] - runs[1] >= 2 * (runs[1] - runs[0]) * 0.9, "the pause doubles"
    resume.set()


def test_a_worker_that_returns_while_the_server_runs_is_restarted_too(server: RunningServer) -> None:
    server.mark_serving()
    runs: list[int] = []

    def work() -> None:
        runs.append(1)

    server.run_worker("consumer", work, backoff_seconds=0.05)

    eventually(lambda: len(runs) >= 3)


def test_a_stopped_server_does_not_restart_its_worker() -> None:
    running = start_server("127.0.0.1:0", [])
    stop_work = threading.Event()
    runs: list[int] = []

    def work() -> None:
        runs.append(1)
        stop_work.wait()

    worker = running.run_worker("consumer", work, backoff_seconds=0.01)
    eventually(lambda: runs == [1])
    running.stop(grace_seconds=0)
    stop_work.set()
    worker.join(timeout=5)

    assert not worker.is_alive()
    assert runs == [1]


def test_a_watched_component_that_fails_its_check_turns_health_not_serving_naming_it(server: RunningServer) -> None:
    server.mark_serving()
    store_up = threading.Event()

    def ping() -> None:
        if not store_up.is_set():
            raise ConnectionRefusedError("127.0.0.1:17017: connection refused")

    server.watch("store", ping, interval_seconds=0.05)

    eventually(lambda: "ConnectionRefusedError" in server.problems().get("store", ""))
    assert "ConnectionRefusedError" in server.problems()["store"]
    assert health_status(server.port) == NOT_SERVING
    assert health_status(server.port, "store") == NOT_SERVING
    store_up.set()
    eventually(lambda: health_status(server.port) == SERVING)
    assert health_status(server.port, "store") == SERVING


def test_a_check_that_hangs_counts_as_down(server: RunningServer) -> None:
    server.mark_serving()
    release = threading.Event()

    server.watch("broker", lambda: release.wait(), interval_seconds=0.05, timeout_seconds=0.2)

    eventually(lambda: server.problems().get("broker") == "no answer within 0.2 s")
    assert health_status(server.port) == NOT_SERVING
    release.set()


def test_the_store_probe_raises_when_the_store_does_not_answer() -> None:
    ping = store_probe("mongodb://127.0.0.1:1/", timeout_seconds=0.5)
    started = time.monotonic()

    with pytest.raises(ServerSelectionTimeoutError):
        ping()

    assert time.monotonic() - started < 3


def test_a_second_server_on_a_taken_port_fails_loudly(server: RunningServer) -> None:
    with pytest.raises(RuntimeError, match="Failed to bind"):
        start_server(f"127.0.0.1:{server.port}", [])


def test_liveness_stays_serving_while_a_dependency_is_down_and_ends_with_the_server() -> None:
    running = start_server("127.0.0.1:0", [])
    running.mark_serving()
    running.report("store", "ServerSelectionTimeoutError: connection refused")

    assert health_status(running.port) == NOT_SERVING
    assert health_status(running.port, "liveness") == SERVING
    running.stop(grace_seconds=0)
    assert running.health.Check(health_pb2.HealthCheckRequest(service="liveness"), None).status == NOT_SERVING
