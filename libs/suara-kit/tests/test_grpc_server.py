"""The shared gRPC server: standard health checking that says NOT_SERVING until the service says it is ready."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from suara_kit.grpc_server import RunningServer, start_server
from suara_kit.healthcheck import is_serving, wait_until_serving


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


def test_a_worker_that_dies_turns_the_health_check_to_not_serving(server: RunningServer) -> None:
    server.mark_serving()

    def crash() -> None:
        raise RuntimeError("consumer loop broke")

    server.run_worker("crashing-worker", crash).join(timeout=5)

    assert health_status(server.port) == health_pb2.HealthCheckResponse.NOT_SERVING


def test_a_second_server_on_a_taken_port_fails_loudly(server: RunningServer) -> None:
    with pytest.raises(RuntimeError, match="Failed to bind"):
        start_server(f"127.0.0.1:{server.port}", [])
