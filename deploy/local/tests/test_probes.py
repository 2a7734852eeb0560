import smtplib
import subprocess
from pathlib import Path
from typing import Any

from suara_infra.probes import kafka_ready, mongo_ping, postgres_ready, smtp_ready


class FakeAdmin:
    def __init__(self, cluster: dict[str, Any] | Exception) -> None:
        self.cluster = cluster
        self.closed = False

    def describe_cluster(self) -> dict[str, Any]:
        if isinstance(self.cluster, Exception):
            raise self.cluster
        return self.cluster

    def close(self) -> None:
        self.closed = True


def test_kafka_is_healthy_when_a_broker_is_registered() -> None:
    admin = FakeAdmin({"brokers": [{"node_id": 1}], "cluster_id": "abc"})
    outcome = kafka_ready("127.0.0.1:19092", admin_factory=lambda *_: admin)
    assert outcome.healthy
    assert "cluster abc" in outcome.detail
    assert admin.closed


def test_kafka_is_not_healthy_while_no_broker_is_registered() -> None:
    outcome = kafka_ready("127.0.0.1:19092", admin_factory=lambda *_: FakeAdmin({"brokers": []}))
    assert not outcome
    assert "no broker is registered" in outcome.detail


def test_kafka_is_not_healthy_when_nothing_answers() -> None:
    def refuse(*_: object) -> FakeAdmin:
        raise TimeoutError("Unable to bootstrap")

    outcome = kafka_ready("127.0.0.1:19092", admin_factory=refuse)
    assert not outcome
    assert outcome.detail == "no answer from 127.0.0.1:19092: TimeoutError"


def test_kafka_is_not_healthy_when_the_description_fails() -> None:
    admin = FakeAdmin(RuntimeError("NOT_CONTROLLER"))
    outcome = kafka_ready("127.0.0.1:19092", admin_factory=lambda *_: admin)
    assert not outcome
    assert "NOT_CONTROLLER" in outcome.detail
    assert admin.closed


class FakeMongo:
    def __init__(self, reply: dict[str, Any] | Exception) -> None:
        self.reply = reply
        self.closed = False
        self.asked: list[str] = []

    @property
    def admin(self) -> "FakeMongo":
        return self

    def command(self, name: str) -> dict[str, Any]:
        self.asked.append(name)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply

    def close(self) -> None:
        self.closed = True


def test_mongo_is_healthy_when_ping_answers_ok() -> None:
    client = FakeMongo({"ok": 1.0})
    assert mongo_ping("mongodb://127.0.0.1:17017/", client_factory=lambda *_: client)
    assert client.asked == ["ping"]
    assert client.closed


def test_mongo_is_not_healthy_when_ping_fails_or_says_not_ok() -> None:
    timeout = mongo_ping("mongodb://x/", client_factory=lambda *_: FakeMongo(TimeoutError("no server")))
    assert not timeout
    assert timeout.detail == "no ping reply from mongodb://x/: TimeoutError"
    assert not mongo_ping("mongodb://x/", client_factory=lambda *_: FakeMongo({"ok": 0, "errmsg": "starting"}))


def test_postgres_asks_pg_isready_on_the_socket_directory() -> None:
    seen: list[list[str]] = []

    def run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="/s:5432 - accepting connections\n", stderr="")

    outcome = postgres_ready(Path("/pg/bin/pg_isready"), Path("/state/postgres/socket"), 5432, run=run)
    assert outcome.healthy
    assert outcome.detail == "/s:5432 - accepting connections"
    assert seen[0][:5] == ["/pg/bin/pg_isready", "-h", "/state/postgres/socket", "-p", "5432"]


def test_postgres_is_not_healthy_while_it_rejects_or_does_not_answer() -> None:
    def rejecting(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, stdout="/s:5432 - rejecting connections\n", stderr="")

    def hanging(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(command, timeout)

    assert not postgres_ready(Path("pg_isready"), Path("/s"), 5432, run=rejecting)
    assert not postgres_ready(Path("pg_isready"), Path("/s"), 5432, run=hanging)


class FakeSMTP:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        if port == 1:
            raise ConnectionRefusedError("refused")
        self.code = 250 if port == 2525 else 421

    def __enter__(self) -> "FakeSMTP":
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def noop(self) -> tuple[int, bytes]:
        return self.code, b"OK"


def test_smtp_is_healthy_when_noop_answers_250() -> None:
    assert smtp_ready("127.0.0.1", 2525, client_factory=FakeSMTP)
    assert not smtp_ready("127.0.0.1", 2526, client_factory=FakeSMTP)
    refused = smtp_ready("127.0.0.1", 1, client_factory=FakeSMTP)
    assert not refused
    assert "ConnectionRefusedError" in refused.detail


def test_real_clients_report_a_closed_port_as_not_healthy() -> None:
    assert not smtp_ready("127.0.0.1", 9, timeout=1, client_factory=smtplib.SMTP)
    assert not mongo_ping("mongodb://127.0.0.1:9/", timeout=0.5)
