"""Which store errors a caller is told UNAVAILABLE for (suara_kit.mongo.store_unavailable)."""

from __future__ import annotations

import pytest
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteError,
)

from suara_kit.deadline import DeadlineExhausted
from suara_kit.mongo import store_unavailable


@pytest.mark.parametrize(
    "error",
    [
        ServerSelectionTimeoutError("127.0.0.1:17017: [Errno 111] Connection refused"),
        AutoReconnect("connection closed"),
        NetworkTimeout("timed out"),
        ExecutionTimeout("operation exceeded time limit", 50),
        DeadlineExhausted("the call's deadline has passed"),
        # FerretDB's answer to a write in flight while it shuts down (seen in the store-outage integration test).
        OperationFailure("[msg_insert.go:168 handler.(*Handler).MsgInsert] context canceled", 1),
        OperationFailure("interrupted at shutdown", 11600),
        OperationFailure("not primary", 10107),
    ],
)
def test_an_unreachable_or_departing_store_is_unavailable(error: Exception) -> None:
    assert store_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        DuplicateKeyError("E11000 duplicate key error", 11000),
        WriteError("document failed validation", 121),
        OperationFailure("BadValue", 2),
        ValueError("not a store error"),
    ],
)
def test_a_refused_request_or_a_bug_is_not_unavailable(error: Exception) -> None:
    assert not store_unavailable(error)
