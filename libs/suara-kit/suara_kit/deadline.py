"""The time the current call has left: set once at the edge (a gRPC call's deadline), read by adapters that block.

An adapter that waits on the network (publishing to Kafka, say) waits at most what the caller is still willing
to wait, so the caller gets an answer it can act on (UNAVAILABLE: retry with the same key) instead of its own
deadline expiring with no answer at all. A context variable carries it, so the ports keep their signatures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pymongo

_deadline: ContextVar[float | None] = ContextVar("suara_deadline", default=None)


class DeadlineExhausted(TimeoutError):
    """The call has no time left for this step."""


@contextmanager
def bounded(seconds: float | None) -> Iterator[None]:
    """Within the block, `remaining` is at most `seconds` from now (None: no bound), and so is every store
    operation (pymongo's client-side operation timeout, which also bounds waiting for an unreachable server)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        with pymongo.timeout(seconds):
            yield
    finally:
        _deadline.reset(token)


def remaining(default: float) -> float:
    """Seconds this step may take: `default`, or less if the call's deadline is nearer. Raises DeadlineExhausted
    when the deadline has passed."""
    deadline = _deadline.get()
    if deadline is None:
        return default
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExhausted("the call's deadline has passed")
    return min(default, left)
