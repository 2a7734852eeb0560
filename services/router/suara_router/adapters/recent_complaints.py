"""The router's store of recent complaints, to recognise a near-duplicate: per kelurahan and category, by time.

The Mongo adapter keys each document by `_id` = "<kelurahan>|<category>|<received at, UTC, fixed width>|<complaint
id>", so one kelurahan and category's complaints in a time window are one `_id` range, the only query FerretDB's
SQLite backend answers from an index (decision 0081). Each add also drops that bucket's complaints older than the
category's window, so the collection stays as small as the windows require."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime

from suara_kit.mongo import MongoDatabase
from suara_router.domain.text_routing import RecentComplaint

COLLECTION = "router_recent_complaints"
MOMENT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order (years 1000-9999)


class RecentComplaints(ABC):
    @abstractmethod
    def add(self, complaint: RecentComplaint, keep_after: datetime) -> None:
        """Remember `complaint` (again: no change) and forget its kelurahan and category's complaints received
        before `keep_after`."""

    @abstractmethod
    def between(self, kelurahan: str, category: str, start: datetime, end: datetime) -> list[RecentComplaint]:
        """The complaints of this kelurahan and category received from `start` to `end` (both included), oldest
        first."""


def _moment(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return at.astimezone(UTC).strftime(MOMENT)


def key(complaint: RecentComplaint) -> str:
    bucket = _bucket(complaint.kelurahan, complaint.category)
    return f"{bucket}{_moment(complaint.received_at)}|{complaint.complaint_id}"


def _bucket(kelurahan: str, category: str) -> str:
    if "|" in kelurahan or "|" in category:
        raise ValueError(f"kelurahan {kelurahan!r} and category {category!r} must not contain '|'")
    return f"{kelurahan}|{category}|"


class InMemoryRecentComplaints(RecentComplaints):
    def __init__(self) -> None:
        self.complaints: dict[str, RecentComplaint] = {}

    def add(self, complaint: RecentComplaint, keep_after: datetime) -> None:
        self.complaints.setdefault(key(complaint), complaint)
        bucket = _bucket(complaint.kelurahan, complaint.category)
        cutoff = bucket + _moment(keep_after)
        for old in [k for k in self.complaints if k.startswith(bucket) and k < cutoff]:
            del self.complaints[old]

    def between(self, kelurahan: str, category: str, start: datetime, end: datetime) -> list[RecentComplaint]:
        bucket = _bucket(kelurahan, category)
        low, high = bucket + _moment(start), bucket + _moment(end) + "|\uffff"
        return [self.complaints[k] for k in sorted(self.complaints) if low <= k <= high]


class MongoRecentComplaints(RecentComplaints):
    def __init__(self, database: MongoDatabase, collection: str = COLLECTION) -> None:
        self._complaints = database[collection]

    def add(self, complaint: RecentComplaint, keep_after: datetime) -> None:
        self._complaints.update_one(
            {"_id": key(complaint)},
            {
                "$setOnInsert": {
                    "complaint_id": complaint.complaint_id,
                    "tracking_number": complaint.tracking_number,
                    "kelurahan": complaint.kelurahan,
                    "category": complaint.category,
                    "received_at": _moment(complaint.received_at),
                    "text": complaint.normalised_text,
                }
            },
            upsert=True,
        )
        bucket = _bucket(complaint.kelurahan, complaint.category)
        self._complaints.delete_many({"_id": {"$gte": bucket, "$lt": bucket + _moment(keep_after)}})

    def between(self, kelurahan: str, category: str, start: datetime, end: datetime) -> list[RecentComplaint]:
        bucket = _bucket(kelurahan, category)
        found = self._complaints.find(
            {"_id": {"$gte": bucket + _moment(start), "$lte": bucket + _moment(end) + "|\uffff"}}
        ).sort("_id", 1)
        return [
            RecentComplaint(
                complaint_id=d["complaint_id"],
                tracking_number=d["tracking_number"],
                kelurahan=d["kelurahan"],
                category=d["category"],
                received_at=datetime.strptime(d["received_at"], MOMENT).replace(tzinfo=UTC),
                normalised_text=d["text"],
            )
            for d in found
        ]
