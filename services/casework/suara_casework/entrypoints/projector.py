"""Projects the events topic into the complaint views (consumer group suara-casework-views).

Every event of the topic is applied, both vocabularies; applying is idempotent, so a redelivery changes nothing.
An envelope that cannot be decoded raises UndecodableEvent, which the ConsumerLoop dead-letters (and one this code
is too old for, EventTooNew, it handles as the loop decides); a store that is away raises a PyMongoError, which the
loop retries until the store is back.
"""

from __future__ import annotations

from kafka.consumer.fetcher import ConsumerRecord

from suara_casework.adapters.views import ComplaintViews
from suara_kit import codec
from suara_kit.kafka import Handler

VIEWS_GROUP = "suara-casework-views"
# The live collections of the views (`suara replay` rebuilds and compares both).
VIEWS_COLLECTION = "complaint_views"
VIEWS_COLLECTIONS = (VIEWS_COLLECTION, f"{VIEWS_COLLECTION}_tracking")


def views_projector(views: ComplaintViews) -> Handler:
    def handle(record: ConsumerRecord) -> None:
        data = bytes(record.value)
        views.apply(codec.decode(data), data)

    return handle
