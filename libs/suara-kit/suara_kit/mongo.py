"""Connecting to the MongoDB-protocol store (MongoDB, or FerretDB on SQLite for local runs and tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

# The database handle every adapter takes: documents are plain dicts.
MongoDatabase = Database[dict[str, Any]]


def connect(url: str, database: str, app_name: str) -> MongoDatabase:
    """A client for the store at `url`. Nothing is sent until first use (no socket is opened at import time)."""
    client: MongoClient[dict[str, Any]] = MongoClient(
        url,
        appname=app_name,
        serverSelectionTimeoutMS=10_000,
        retryWrites=False,  # FerretDB does not support retryable writes; our writes are idempotent anyway
        tz_aware=True,
    )
    return client[database]


def store_probe(url: str, timeout_seconds: float = 2.0) -> Callable[[], None]:
    """A check that raises unless the store answers a ping within `timeout_seconds`. It has its own client, so
    a probe never waits behind (or disturbs) the service's own connections."""
    timeout_ms = int(timeout_seconds * 1000)
    client: MongoClient[dict[str, Any]] = MongoClient(
        url,
        appname="suara-health-probe",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
    )

    def ping() -> None:
        client.admin.command("ping")

    return ping
