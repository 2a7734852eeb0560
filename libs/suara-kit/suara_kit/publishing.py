"""Publishing event bytes to the complaint-events topic, waiting for the broker's acknowledgement.

The relay (suara_kit.relay) is the one publisher of complaint events; it sends a batch at a time."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from kafka import KafkaProducer

from suara_kit import deadline


@dataclass(frozen=True)
class Published:
    topic: str
    key: str
    value: bytes


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, key: str, value: bytes) -> None:
        """Returns only once the event is durable in the log (for Kafka: acknowledged by all in-sync replicas)."""

    def publish_many(self, items: Sequence[tuple[str, bytes]]) -> list[BaseException | None]:
        """Publish (key, value) pairs in order; one outcome per item: None when acknowledged, else the error.
        After the first failure the rest are not attempted (they get that error), so order is never inverted."""
        outcomes: list[BaseException | None] = []
        for key, value in items:
            if outcomes and outcomes[-1] is not None:
                outcomes.append(outcomes[-1])
                continue
            try:
                self.publish(key, value)
                outcomes.append(None)
            except Exception as error:
                outcomes.append(error)
        return outcomes


class KafkaEventPublisher(EventPublisher):
    """Waits for the acknowledgement at most `timeout_seconds`, or less when the call being served has less time
    left (see suara_kit.deadline); raises KafkaTimeoutError when it did not come. The event may still reach the
    log after that (the producer keeps retrying it), which is why every write is idempotent."""

    def __init__(self, producer: KafkaProducer, topic: str, timeout_seconds: float = 30.0) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout = timeout_seconds

    def publish(self, key: str, value: bytes) -> None:
        started = time.monotonic()
        budget = deadline.remaining(self._timeout)
        future = self._producer.send(self._topic, key=key.encode(), value=value)
        # send() itself may block (at most the producer's max_block_ms) while the broker is unreachable.
        left = budget - (time.monotonic() - started)
        future.get(timeout=max(left, 0.001))

    def publish_many(self, items: Sequence[tuple[str, bytes]]) -> list[BaseException | None]:
        """Send the whole batch, then wait for each acknowledgement (one round trip per batch, not per event).
        The producer is idempotent, so events of one key keep their order on the partition even when retried."""
        started = time.monotonic()
        futures = []
        unsent: BaseException | None = None
        for key, value in items:
            try:
                futures.append(self._producer.send(self._topic, key=key.encode(), value=value))
            except Exception as error:  # send() blocked past max_block_ms: the broker is unreachable
                unsent = error
                break
        outcomes: list[BaseException | None] = []
        for future in futures:
            left = self._timeout - (time.monotonic() - started)
            try:
                future.get(timeout=max(left, 0.001))
                outcomes.append(None)
            except Exception as error:
                outcomes.append(error)
        outcomes.extend([unsent] * (len(items) - len(futures)))
        return outcomes


class InMemoryEventPublisher(EventPublisher):
    """The broker in unit tests. Set `down` to make every publish fail as an unreachable broker's would."""

    def __init__(self, topic: str = "suara.complaints.events.v1") -> None:
        self.topic = topic
        self.published: list[Published] = []
        self.down = False
        self._lock = threading.Lock()

    def publish(self, key: str, value: bytes) -> None:
        with self._lock:
            if self.down:
                raise ConnectionError("the broker is down (in-memory publisher)")
            self.published.append(Published(self.topic, key, value))
