"""Publishing to Kafka waits for the acknowledgement, but never longer than the call being served has left."""

from __future__ import annotations

import pytest

from suara_kit import deadline
from suara_kit.publishing import KafkaEventPublisher


class Acknowledgement:
    def __init__(self) -> None:
        self.waited: list[float] = []

    def get(self, timeout: float) -> None:
        self.waited.append(timeout)


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.acknowledgement = Acknowledgement()

    def send(self, topic: str, key: bytes, value: bytes) -> Acknowledgement:
        self.sent.append((topic, key, value))
        return self.acknowledgement


def test_without_a_call_deadline_publishing_waits_its_own_timeout() -> None:
    producer = Producer()

    KafkaEventPublisher(producer, "events", timeout_seconds=30).publish("c-1", b"event")

    assert producer.sent == [("events", b"c-1", b"event")]
    assert producer.acknowledgement.waited == [pytest.approx(30, abs=0.1)]


def test_within_a_call_deadline_publishing_waits_no_longer_than_the_call_has_left() -> None:
    producer = Producer()

    with deadline.bounded(2.0):
        KafkaEventPublisher(producer, "events", timeout_seconds=30).publish("c-1", b"event")

    (waited,) = producer.acknowledgement.waited
    assert 1.5 < waited <= 2.0


def test_a_call_whose_deadline_has_passed_publishes_nothing() -> None:
    producer = Producer()

    with deadline.bounded(0.0), pytest.raises(deadline.DeadlineExhausted):
        KafkaEventPublisher(producer, "events").publish("c-1", b"event")

    assert producer.sent == []
