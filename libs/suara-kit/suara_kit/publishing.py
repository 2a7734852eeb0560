"""Publishing event bytes to the complaint-events topic, waiting for the broker's acknowledgement."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
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


class InMemoryEventPublisher(EventPublisher):
    def __init__(self, topic: str = "suara.complaints.events.v1") -> None:
        self.topic = topic
        self.published: list[Published] = []
        self._lock = threading.Lock()

    def publish(self, key: str, value: bytes) -> None:
        with self._lock:
            self.published.append(Published(self.topic, key, value))
