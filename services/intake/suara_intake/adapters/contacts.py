"""Reporters' contact details, kept outside the immutable event log so erasing them later leaves the log whole."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime

from suara_intake.domain.model import ReporterContact
from suara_kit.mongo import MongoDatabase


class ContactStore(ABC):
    @abstractmethod
    def save(self, complaint_id: str, contact: ReporterContact) -> None: ...

    @abstractmethod
    def get(self, complaint_id: str) -> ReporterContact | None: ...


class InMemoryContactStore(ContactStore):
    def __init__(self) -> None:
        self.contacts: dict[str, ReporterContact] = {}

    def save(self, complaint_id: str, contact: ReporterContact) -> None:
        self.contacts[complaint_id] = contact

    def get(self, complaint_id: str) -> ReporterContact | None:
        return self.contacts.get(complaint_id)


class MongoContactStore(ContactStore):
    def __init__(self, database: MongoDatabase, collection: str = "reporter_contacts") -> None:
        self._contacts = database[collection]

    def save(self, complaint_id: str, contact: ReporterContact) -> None:
        self._contacts.update_one(
            {"_id": complaint_id},
            {
                "$set": {
                    "name": contact.name,
                    "phone": contact.phone,
                    "email": contact.email,
                    "saved_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    def get(self, complaint_id: str) -> ReporterContact | None:
        d = self._contacts.find_one({"_id": complaint_id})
        return ReporterContact(d["name"], d["phone"], d["email"]) if d else None
