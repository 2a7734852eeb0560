"""Connecting to the MongoDB-protocol store (MongoDB, or FerretDB on SQLite for local runs and tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, OperationFailure

# The database handle every adapter takes: documents are plain dicts.
MongoDatabase = Database[dict[str, Any]]

# Server answers that say the store cannot serve now, not that the request was wrong. FerretDB answers 1
# (InternalError: "context canceled") to a write in flight while it shuts down; the others are MongoDB's network,
# shutdown, step-down and time-limit codes (ExecutionTimeout is 50).
TRANSIENT_SERVER_CODES = frozenset({1, 6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})


def store_unavailable(error: BaseException) -> bool:
    """Whether `error` means the store is unreachable, going away or too slow: a caller should be told UNAVAILABLE
    and may retry (our writes are idempotent). A refused write (a duplicate key, a bad value) is not. Too slow
    includes the call's own budget running out (suara_kit.deadline.DeadlineExhausted is a TimeoutError)."""
    if isinstance(error, (ConnectionFailure, TimeoutError)):  # includes server selection timing out
        return True
    if isinstance(error, OperationFailure):
        return error.code in TRANSIENT_SERVER_CODES or error.has_error_label("RetryableWriteError")
    return False


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
