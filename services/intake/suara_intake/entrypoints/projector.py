"""Projects the events topic into the complaint timeline (consumer group suara-intake-timeline)."""

from __future__ import annotations

from kafka.consumer.fetcher import ConsumerRecord

from suara_intake.adapters.timeline import Timeline
from suara_kit import codec
from suara_kit.kafka import Handler


def timeline_projector(timeline: Timeline) -> Handler:
    def handle(record: ConsumerRecord) -> None:
        data = bytes(record.value)
        timeline.apply(codec.decode(data), data)

    return handle
