"""Publishing event bytes to the complaint-events topic, waiting for the broker's acknowledgement."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from kafka import KafkaProducer


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
    def __init__(self, producer: KafkaProducer, topic: str, timeout_seconds: float = 30.0) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout = timeout_seconds

    def publish(self, key: str, value: bytes) -> None:
        self._producer.send(self._topic, key=key.encode(), value=value).get(timeout=self._timeout)


class InMemoryEventPublisher(EventPublisher):
    def __init__(self, topic: str = "suara.complaints.events.v1") -> None:
        self.topic = topic
        self.published: list[Published] = []
        self._lock = threading.Lock()

    def publish(self, key: str, value: bytes) -> None:
        with self._lock:
            self.published.append(Published(self.topic, key, value))
