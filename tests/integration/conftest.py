"""Fixtures for the integration tests: the real broker and store, and the four services as real processes.

Where the infrastructure comes from, in order:
  1. SUARA_TEST_KAFKA_BOOTSTRAP and SUARA_TEST_MONGO_URL name an existing Kafka and MongoDB: use them.
  2. SUARA_TEST_DOCKER=1 and a Docker engine answers: testcontainers starts Kafka and MongoDB images.
  3. Otherwise (this machine, CI): deploy/local/bin/suara-infra runs Kafka (KRaft, from Maven Central jars)
     and FerretDB (built with go install) as local processes, on their own ports and state dir.
Every session uses fresh topic and database names, so it never sees another run's data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from harness import ADDRESSES, IDENTITY, INFRA, PORTS, REPO, STACK, STATE, Infra, Stack, authenticated, docker_available
from pymongo import MongoClient

from suara.v1 import complaints_pb2_grpc
from suara_kit.identity.dev import DevIdentityProvider


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    bootstrap = os.environ.get("SUARA_TEST_KAFKA_BOOTSTRAP")
    mongo_url = os.environ.get("SUARA_TEST_MONGO_URL")
    if bootstrap and mongo_url:
        yield Infra(bootstrap, mongo_url)
        return
    if docker_available():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        with KafkaContainer().with_kraft() as kafka, MongoDbContainer() as mongo:
            yield Infra(kafka.get_bootstrap_server(), mongo.get_connection_url())
        return
    env = {**os.environ, **PORTS, "SUARA_STATE_DIR": str(STATE)}
    # Processes of an interrupted earlier run would hold the ports: stop them before wiping their state.
    subprocess.run([str(STACK), "stop", "all"], env=env, check=False, capture_output=True)
    shutil.rmtree(STATE, ignore_errors=True)
    subprocess.run([str(INFRA), "start"], env=env, check=True)
    try:
        yield Infra(f"127.0.0.1:{PORTS['SUARA_KAFKA_PORT']}", f"mongodb://127.0.0.1:{PORTS['SUARA_FERRETDB_PORT']}/")
    finally:
        subprocess.run([str(INFRA), "stop"], env=env, check=False)


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[Stack]:
    run_id = uuid.uuid4().hex[:8]
    database_name = f"suara_it_{run_id}"
    maildir = STATE / "mail"
    shutil.rmtree(maildir, ignore_errors=True)
    env = {
        **os.environ,
        **PORTS,
        "SUARA_STATE_DIR": str(STATE),
        "SUARA_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "SUARA_MONGO_URL": infra.mongo_url,
        "SUARA_MONGO_DB": database_name,
        "SUARA_EVENTS_TOPIC": f"suara.complaints.events.v1.it-{run_id}",
        "SUARA_DEADLETTER_TOPIC": f"suara.complaints.deadletter.v1.it-{run_id}",
        "SUARA_MAILDIR": str(maildir),
        "SUARA_CATALOGUE_DIR": str(REPO / "data/kota-kediri"),
        "SUARA_INTAKE_LISTEN": ADDRESSES["intake"],
        "SUARA_ROUTER_HEALTH_LISTEN": ADDRESSES["router"],
        "SUARA_NOTIFIER_HEALTH_LISTEN": ADDRESSES["notifier"],
        "SUARA_AUDIT_LISTEN": ADDRESSES["audit"],
        "SUARA_CASEWORK_LISTEN": ADDRESSES["casework"],
        "SUARA_DEADLINE_CLOCK_SECONDS": "1",
        # Casework and the router read "now" as real time plus an offset in the store (suara_kit.clock); it stays 0
        # unless a test moves it (test_simulation, which puts it back to 0 when it ends).
        "SUARA_TEST_CLOCK": "store",
        "SUARA_AUDIT_CHECKPOINT_INTERVAL_S": "1",
        "SUARA_AUDIT_LEASE_TTL_S": "6",
        "SUARA_LOG_LEVEL": "INFO",
    }
    # The development identity provider the services trust, made here so that env (which every subprocess of the
    # tests gets, e.g. `suara-intake rebuild-timeline`) carries its settings; suara-stack then uses the same one.
    env.update(DevIdentityProvider.ensure(IDENTITY, REPO / "data/kota-kediri/demo-users.toml").service_env())
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_url, tz_aware=True)
    running = Stack(env, env["SUARA_EVENTS_TOPIC"], env["SUARA_DEADLETTER_TOPIC"], client[database_name], maildir)
    try:
        running.run("start", "all")  # the infrastructure is named in env, so this starts the services only
        yield running
    finally:
        running.run("stop", "all")
        client.close()


@pytest.fixture(scope="session")
def complaints(stack: Stack) -> Iterator[complaints_pb2_grpc.ComplaintServiceStub]:
    """Intake, called as the 112 call centre's integrator (a demo user of the stack's identity provider)."""
    with grpc.insecure_channel(ADDRESSES["intake"]) as channel:
        yield complaints_pb2_grpc.ComplaintServiceStub(authenticated(channel))


@pytest.fixture(scope="session", autouse=True)
def cli_login(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The in-process `suara` CLI, logged in as the coordinator (who may trace every complaint), with its token in
    a file of its own; once the stack has made its identity provider."""
    saved = {name: os.environ.get(name) for name in ("SUARA_TOKEN_FILE", "SUARA_IDENTITY_DIR")}
    os.environ["SUARA_TOKEN_FILE"] = str(tmp_path_factory.mktemp("cli") / "token")
    os.environ["SUARA_IDENTITY_DIR"] = str(IDENTITY)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The simulation moves the stack's shared test clock by weeks: it runs first, before the other tests fill the
    database, so the deadlines it makes pass are those of its own complaints and not of every complaint the whole
    session made (each of which would then warn, breach, escalate and alert at once)."""
    items.sort(key=lambda item: 0 if item.path.name == "test_simulation.py" else 1)
