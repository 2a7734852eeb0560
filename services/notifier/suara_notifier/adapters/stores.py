"""The notifier's own state: the complaints it has seen submitted, and the alerts it has already sent."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime

from suara_kit.events import NotificationOutcome
from suara_kit.mongo import MongoDatabase
from suara_notifier.domain.model import ComplaintSummary, Delivery


class ComplaintBook(ABC):
    @abstractmethod
    def remember(self, complaint: ComplaintSummary) -> None: ...

    @abstractmethod
    def get(self, complaint_id: str) -> ComplaintSummary | None: ...


class DeliveryLog(ABC):
    """Which alerts went out, so a redelivered ComplaintRouted does not alert staff twice."""

    @abstractmethod
    def get(self, alert_id: str) -> Delivery | None: ...

    @abstractmethod
    def save(self, alert_id: str, delivery: Delivery) -> None: ...


class InMemoryComplaintBook(ComplaintBook):
    def __init__(self) -> None:
        self.complaints: dict[str, ComplaintSummary] = {}

    def remember(self, complaint: ComplaintSummary) -> None:
        self.complaints[complaint.complaint_id] = complaint

    def get(self, complaint_id: str) -> ComplaintSummary | None:
        return self.complaints.get(complaint_id)


class InMemoryDeliveryLog(DeliveryLog):
    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}

    def get(self, alert_id: str) -> Delivery | None:
        return self.deliveries.get(alert_id)

    def save(self, alert_id: str, delivery: Delivery) -> None:
        self.deliveries[alert_id] = delivery


class MongoComplaintBook(ComplaintBook):
    def __init__(self, database: MongoDatabase, collection: str = "notifier_complaints") -> None:
        self._complaints = database[collection]

    def remember(self, complaint: ComplaintSummary) -> None:
        fields = {k: v for k, v in complaint.__dict__.items() if k != "complaint_id"}
        self._complaints.update_one({"_id": complaint.complaint_id}, {"$set": fields}, upsert=True)

    def get(self, complaint_id: str) -> ComplaintSummary | None:
        d = self._complaints.find_one({"_id": complaint_id})
        if d is None:
            return None
        return ComplaintSummary(
            complaint_id=str(d["_id"]),
            tracking_number=d["tracking_number"],
            text=d["text"],
            category=d["category"],
            kelurahan=d["kelurahan"],
            kecamatan=d["kecamatan"],
            anonymous=bool(d["anonymous"]),
        )


class MongoDeliveryLog(DeliveryLog):
    def __init__(self, database: MongoDatabase, collection: str = "notifier_deliveries") -> None:
        self._deliveries = database[collection]

    def get(self, alert_id: str) -> Delivery | None:
        d = self._deliveries.find_one({"_id": alert_id})
        return Delivery(NotificationOutcome(d["outcome"]), d["detail"]) if d else None

    def save(self, alert_id: str, delivery: Delivery) -> None:
        self._deliveries.update_one(
            {"_id": alert_id},
            {"$set": {"outcome": delivery.outcome.value, "detail": delivery.detail, "at": datetime.now(UTC)}},
            upsert=True,
        )
