"""Health probes through the real clients: kafka-python for the broker, pymongo for FerretDB, PostgreSQL's own
pg_isready, gRPC's standard health check for the services, smtplib for the mail sink.

Each probe answers an `Outcome` (healthy or not, and why) and never raises: a probe that cannot connect is simply
not healthy yet. The client factories are parameters so the unit tests can drive every outcome with fakes.
"""

from __future__ import annotations

import logging
import smtplib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Outcome:
    healthy: bool
    detail: str

    def __bool__(self) -> bool:
        return self.healthy


class KafkaAdmin(Protocol):
    def describe_cluster(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _kafka_admin(bootstrap: str, timeout: float) -> KafkaAdmin:
    from kafka.admin import KafkaAdminClient

    logging.getLogger("kafka").setLevel(logging.CRITICAL)  # "connection refused" while it starts is expected
    admin: KafkaAdmin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="suara-infra",
        request_timeout_ms=int(timeout * 1000),
        bootstrap_timeout_ms=int(timeout * 1000),
    )
    return admin


def kafka_ready(
    bootstrap: str, timeout: float = 5.0, admin_factory: Callable[[str, float], KafkaAdmin] = _kafka_admin
) -> Outcome:
    """Healthy when the broker answers a cluster description naming at least one registered broker: the KRaft
    controller quorum is up and the broker can create topics."""
    try:
        admin = admin_factory(bootstrap, timeout)
    except Exception as error:  # kafka-python raises many types (NoBrokersAvailable, KafkaTimeoutError, OSError)
        return Outcome(False, f"no answer from {bootstrap}: {type(error).__name__}")
    try:
        cluster = admin.describe_cluster()
    except Exception as error:
        return Outcome(False, f"cluster description from {bootstrap} failed: {type(error).__name__}: {error}")
    finally:
        admin.close()
    brokers = cluster.get("brokers") or []
    if not brokers:
        return Outcome(False, f"{bootstrap} answers but no broker is registered yet")
    return Outcome(True, f"{len(brokers)} broker(s), cluster {cluster.get('cluster_id')}")


class MongoAdmin(Protocol):
    def command(self, name: str) -> dict[str, Any]: ...


class MongoConnection(Protocol):
    @property
    def admin(self) -> MongoAdmin: ...

    def close(self) -> None: ...


def _mongo_client(url: str, timeout: float) -> MongoConnection:
    from pymongo import MongoClient

    ms = int(timeout * 1000)
    client: Any = MongoClient(  # pymongo's Database.command overloads are wider than MongoAdmin
        url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms, directConnection=True
    )
    connection: MongoConnection = client
    return connection


def mongo_ping(
    url: str, timeout: float = 5.0, client_factory: Callable[[str, float], MongoConnection] = _mongo_client
) -> Outcome:
    """Healthy when the MongoDB-protocol server answers `ping` with ok: 1."""
    try:
        client = client_factory(url, timeout)
    except Exception as error:  # a malformed URL is reported, not raised
        return Outcome(False, f"cannot connect to {url}: {type(error).__name__}: {error}")
    try:
        reply = client.admin.command("ping")
    except Exception as error:  # pymongo's ServerSelectionTimeoutError, AutoReconnect, OperationFailure
        return Outcome(False, f"no ping reply from {url}: {type(error).__name__}")
    finally:
        client.close()
    if reply.get("ok") != 1:
        return Outcome(False, f"{url} answered ping with {reply!r}")
    return Outcome(True, "ping ok")


Runner = Callable[[list[str], float], "subprocess.CompletedProcess[str]"]


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def postgres_ready(pg_isready: Path, socket_dir: Path, port: int, timeout: float = 5.0, run: Runner = _run) -> Outcome:
    """Healthy when PostgreSQL's own client `pg_isready` says the server accepts connections (exit status 0)."""
    command = [str(pg_isready), "-h", str(socket_dir), "-p", str(port), "-U", "postgres", "-d", "postgres"]
    command += ["-t", str(max(1, int(timeout)))]
    try:
        result = run(command, timeout + 5)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Outcome(False, f"pg_isready did not answer: {error}")
    answer = (result.stdout or result.stderr).strip()
    return Outcome(result.returncode == 0, answer or f"pg_isready exit status {result.returncode}")


def grpc_serving(address: str, timeout: float = 2.0) -> Outcome:
    """Healthy when the server's standard gRPC health check (service "") says SERVING."""
    from suara_kit.healthcheck import is_serving

    if is_serving(address, timeout):
        return Outcome(True, "SERVING")
    return Outcome(False, f"{address} is not SERVING")


def smtp_ready(
    host: str, port: int, timeout: float = 2.0, client_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP
) -> Outcome:
    """Healthy when an SMTP server greets us and answers NOOP with 250."""
    try:
        with client_factory(host, port, timeout=timeout) as client:
            code, _ = client.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(False, f"no SMTP answer from {host}:{port}: {type(error).__name__}")
    return Outcome(code == 250, f"NOOP answered {code}")
