"""Idempotent bulk writes for the MongoDB-protocol store: insert what is missing, keep what exists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


def only_duplicates(error: BulkWriteError) -> bool:
    return all(e.get("code") == DUPLICATE_KEY for e in error.details.get("writeErrors", []))


def insert_missing(collection: Collection[dict[str, Any]], documents: Sequence[dict[str, Any]]) -> None:
    """Insert every document whose `_id` is not taken yet, in one round trip; existing ones are left unchanged."""
    if not documents:
        return
    try:
        collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as error:
        if not only_duplicates(error):
            raise
