"""Helpers for the integration tests: where the infrastructure and services are, and how to drive them."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition

from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_kit.identity.dev import DevIdentityProvider

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "deploy/local/bin/suara-infra"
STACK = REPO / "deploy/local/bin/suara-stack"
STATE = REPO / "var/test"
T = TypeVar("T")

# All below the ephemeral port range (32768-60999), so no outgoing connection can take them first.
PORTS = {
    "SUARA_KAFKA_PORT": "19092",
    "SUARA_KAFKA_CONTROLLER_PORT": "19093",
    "SUARA_FERRETDB_PORT": "17017",
    "SUARA_SMTP_PORT": "12025",
}
ADDRESSES = {
    "intake": "127.0.0.1:19051",
    "router": "127.0.0.1:19052",
    "notifier": "127.0.0.1:19053",
    "audit": "127.0.0.1:19054",
    "casework": "127.0.0.1:19055",
}
# The development identity provider suara-stack sets up for the test stack (demo users' tokens).
IDENTITY = STATE / "identity"


def token(username: str) -> str:
    return DevIdentityProvider.open(IDENTITY).mint(username)


class Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """Sends `authorization: Bearer <token>` with every call, as integrators and the CLI do."""

    def __init__(self, bearer_token: str) -> None:
        self._metadata = ("authorization", f"Bearer {bearer_token}")

    def _with_token(self, details: Any) -> Any:
        return details._replace(metadata=[*(details.metadata or ()), self._metadata])

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)


def replay_check(stack: Stack) -> subprocess.CompletedProcess[str]:
    """`suara replay --check` against the test stack: rebuild every read model from offset 0 and compare."""
    env = stack.env
    command = [str(REPO / ".venv/bin/suara"), "replay", "--check", "--kafka", env["SUARA_KAFKA_BOOTSTRAP"]]
    command += ["--mongo", env["SUARA_MONGO_URL"], "--database", env["SUARA_MONGO_DB"], "--topic", stack.events_topic]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


def log_in(username: str) -> None:
    """`suara login USERNAME` for the in-process CLI (its token file is the session's, see conftest.cli_login)."""
    from suara_cli.main import main as suara

    assert suara(["login", username]) == 0


def authenticated(channel: grpc.Channel, username: str = "integrator-112") -> grpc.Channel:
    """The channel, as demo user `username` (default: the 112 call centre's integrator)."""
    return grpc.intercept_channel(channel, Bearer(token(username)))


def wait_until(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.25) -> T:
    """Poll until `condition()` returns something truthy; fail naming `what` when the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Infra:
    kafka_bootstrap: str
    mongo_url: str


def docker_available() -> bool:
    if os.environ.get("SUARA_TEST_DOCKER") != "1" or shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


@dataclass
class Stack:
    env: dict[str, str]
    events_topic: str
    deadletter_topic: str
    database: Any  # pymongo Database
    maildir: Path

    def run(self, *args: str) -> None:
        subprocess.run([str(STACK), *args], env=self.env, check=True)

    def pid(self, service: str) -> int:
        return int((STATE / "run" / f"{service}.pid").read_text())

    def kill9(self, service: str) -> None:
        pid = self.pid(service)
        os.kill(pid, 9)
        wait_until(lambda: not alive(pid), 10, f"{service} (pid {pid}) to die")

    def start(self, service: str) -> None:
        self.run("start", service)

    def end_offsets(self) -> dict[int, int]:
        consumer = KafkaConsumer(bootstrap_servers=self.env["SUARA_KAFKA_BOOTSTRAP"])
        try:
            partitions = [
                TopicPartition(self.events_topic, p) for p in consumer.partitions_for_topic(self.events_topic)
            ]
            return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
        finally:
            consumer.close()

    def quiesce(self, quiet_seconds: float = 3.0, timeout: float = 120) -> dict[int, int]:
        """Wait until nothing new has been written to the events topic for `quiet_seconds`."""
        deadline = time.monotonic() + timeout
        last = self.end_offsets()
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < quiet_seconds:
            if time.monotonic() > deadline:
                pytest.fail("the events topic never went quiet")
            time.sleep(0.5)
            now = self.end_offsets()
            if now != last:
                last, quiet_since = now, time.monotonic()
        return last

    def mails(self) -> list[str]:
        folder = self.maildir / "new"
        return [p.read_text(errors="replace") for p in folder.iterdir()] if folder.exists() else []


def audit_vkey() -> str:
    """The verifier key of the test stack's audit log (suara-stack made the key on start)."""
    return (STATE / "keys" / "audit.key.vkey").read_text().strip()


def audit_settled(stack: Stack, timeout: float = 120) -> int:
    """Wait until the events topic is quiet and the audit log's latest checkpoint covers every entry; its size."""
    from suara.v1 import audit_pb2, audit_pb2_grpc

    stack.quiesce()
    with grpc.insecure_channel(ADDRESSES["audit"]) as channel:
        stub = audit_pb2_grpc.AuditServiceStub(authenticated(channel, "auditor"))

        def covered() -> int:
            head = stack.database.audit_sequencer.find_one({"_id": "sequencer"})
            try:
                size = stub.GetCheckpoint(audit_pb2.GetCheckpointRequest(), timeout=10).tree_size
            except grpc.RpcError:
                return 0
            return size if head and size == head["size"] else 0

        return wait_until(covered, timeout, "the audit log's checkpoint to cover every entry")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a killed process not yet reaped by init is a zombie: dead for our purposes
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def submit(
    stub: complaints_pb2_grpc.ComplaintServiceStub,
    text: str,
    category: str,
    kelurahan: str,
    key: str | None = None,
    **fields: Any,
) -> complaints_pb2.SubmitComplaintResponse:
    request = complaints_pb2.SubmitComplaintRequest(
        idempotency_key=key or f"it-{uuid.uuid4()}",
        text=text,
        category=category,
        kelurahan=kelurahan,
        source_channel=fields.pop("source_channel", 2),  # WhatsApp
        **fields,
    )
    return stub.SubmitComplaint(request, timeout=30)  # the stub's channel carries the integrator's token


def trace_types(stub: complaints_pb2_grpc.ComplaintServiceStub, reference: str) -> list[str]:
    try:
        response = stub.TraceComplaint(complaints_pb2.TraceComplaintRequest(reference=reference), timeout=10)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return []
        raise
    return [e.event_type for e in response.events]
