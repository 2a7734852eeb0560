"""Connecting to the MongoDB-protocol store (MongoDB, or FerretDB on SQLite for local runs and tests)."""

from __future__ import annotations

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
