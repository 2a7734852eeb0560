"""The complaint views: the read models people work from (issue 5 §6), projected from the events topic.

One document per complaint (`_id` = complaint id) holds the complaint's events seen so far (envelope bytes by
sequence, so a redelivered event changes nothing) and the fields derived from them (adapters.complaint_view): the
view itself and the few fields the queries select and sort on. A second collection maps tracking numbers to
complaint ids. Every write and the reads of one complaint are `_id` lookups; the list queries are one equality
filter and a sort on (due time, id), for which `ensure_indexes` declares what a production MongoDB needs
(docs/decisions/0024-read-models-one-document-per-complaint.md).

Queries:
- `get(reference)`: by complaint id or tracking number;
- `queue(opd)`: complaints the OPD holds (dispatched, acknowledged, in progress, reopened, or waiting on the
  citizen while it holds them), soonest due first;
- `overdue(opd or None, now)`: complaints someone must act on whose next deadline has passed, or that breached one;
- `desk()`: the coordinator's desk (unverified, returned, at the hand-back cap, router flags not acted on);
- `figures(opd or None, now)`: open by status, median times to acknowledge and resolve, breaches this month.
Lists are paged by an opaque token (the last item's due time and id: stable while complaints change).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import statistics
import threading
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from suara_casework.adapters.complaint_view import (
    ComplaintView,
    OpdFigures,
    derive,
    document_fields,
    stored_moment,
    view_from_document,
)
from suara_complaint import events as lc
from suara_complaint.calendar import WIB, WorkingCalendar
from suara_complaint.policy import Policy
from suara_kit import codec
from suara_kit.events import ComplaintSubmitted, Event
from suara_kit.mongo import MongoDatabase

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_REFERENCE_LENGTH = 64  # a UUID is 36, a tracking number 15


class InvalidPageToken(ValueError):
    """A page token this query did not give (tampered, truncated, or from another query)."""


@dataclass(frozen=True)
class Page:
    views: tuple[ComplaintView, ...]
    next_page_token: str  # "" on the last page


class ComplaintViews(ABC):
    """The port. `apply` is idempotent and order-tolerant: applying the same events in any order, any number of
    times, gives the same documents (the view folds the contiguous prefix of the sequences it has)."""

    @abstractmethod
    def apply(self, event: Event, data: bytes) -> None: ...

    @abstractmethod
    def get(self, reference: str) -> ComplaintView | None:
        """By complaint id (UUID) or tracking number (any case)."""

    @abstractmethod
    def queue(self, opd: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page: ...

    @abstractmethod
    def overdue(self, opd: str | None, now: datetime, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        """One OPD's (its queue's) or, with None, the city's. A next page keeps the first page's `now`."""

    @abstractmethod
    def desk(self, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page: ...

    @abstractmethod
    def figures(self, opd: str | None, now: datetime) -> OpdFigures:
        """One OPD's figures, or with None the city's."""

    @abstractmethod
    def clear(self) -> None: ...

    @abstractmethod
    def ensure_indexes(self) -> None:
        """Declare the secondary indexes the queries need."""


# --- what both adapters share: the document and the page tokens ------------------------------------------------------


class _Documents:
    """Builds a complaint's document from the events it holds. Pure apart from decoding the stored bytes."""

    def __init__(self, policy: Policy, calendar: WorkingCalendar) -> None:
        self._policy, self._calendar = policy, calendar

    @staticmethod
    def entry(event: Event, data: bytes) -> dict[str, Any]:
        return {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "occurred_at": stored_moment(event.occurred_at),
            "data": data,  # stored as BSON binary; read back as bytes
        }

    @staticmethod
    def holds(document: Mapping[str, Any] | None, event: Event) -> bool:
        """Whether the document already has this event (by event id), or another at its sequence (the journal
        gives each position one event; a different one there is a corrupt feed, logged and ignored)."""
        if document is None:
            return False
        entries: Mapping[str, Mapping[str, Any]] = document.get("events", {})
        held = entries.get(str(event.sequence))
        if held is not None:
            if held["event_id"] != event.event_id:
                log.error(
                    "two events at one position of a complaint's stream; keeping the first",
                    extra={"complaint_id": event.complaint_id, "sequence": event.sequence, "event_id": event.event_id},
                )
            return True
        return any(e["event_id"] == event.event_id for e in entries.values())

    def whole(self, complaint_id: str, stream: Iterable[tuple[Event, bytes]]) -> dict[str, Any]:
        """The document that applying each of `stream`'s events in turn leaves: the events it holds (the first at
        each position) and the fields derived from them, derived once."""
        entries: dict[str, dict[str, Any]] = {}
        for event, data in stream:
            if not self.holds({"events": entries}, event):
                entries[str(event.sequence)] = self.entry(event, data)
        return {"_id": complaint_id, "events": entries, **self.derived(complaint_id, entries)}

    def derived(self, complaint_id: str, entries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """The fields derived from the contiguous prefix 1..n of the sequences in `entries`."""
        stream: list[Event] = []
        sequence = 1
        while str(sequence) in entries:
            stream.append(codec.decode(bytes(entries[str(sequence)]["data"])))
            sequence += 1
        view = derive(complaint_id, stream, self._policy, self._calendar)
        return {**document_fields(view), "applied": len(entries), "folded": len(stream)}


def _tracking_number(event: Event) -> str | None:
    payload = event.payload
    if isinstance(payload, ComplaintSubmitted | lc.ComplaintSubmitted):
        return payload.tracking_number.upper() or None
    return None


def _complaint_id(reference: str) -> str | None:
    try:
        return str(uuid.UUID(reference))
    except ValueError:
        return None


def _page_size(requested: int) -> int:
    if requested <= 0:
        return DEFAULT_PAGE_SIZE
    return min(requested, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class _Cursor:
    """Where a page ends: the last item's due time and id, and the query it belongs to."""

    query: str
    due: datetime
    complaint_id: str
    now: datetime | None = None

    def token(self) -> str:
        body = {"q": self.query, "d": self.due.isoformat(), "i": self.complaint_id}
        if self.now is not None:
            body["n"] = self.now.isoformat()
        raw = json.dumps(body, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str, query: str) -> _Cursor | None:
        if not token:
            return None
        if len(token) > 600:
            raise InvalidPageToken("page_token: too long to be one this service gave")
        try:
            body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(
                str(body["q"]),
                datetime.fromisoformat(body["d"]),
                str(body["i"]),
                datetime.fromisoformat(body["n"]) if "n" in body else None,
            )
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise InvalidPageToken("page_token: not a token this service gave; start again without one") from None
        if cursor.query != query or cursor.due.tzinfo is None or (cursor.now is not None and cursor.now.tzinfo is None):
            raise InvalidPageToken("page_token: given by another query; start again without one")
        return cursor


def _paged(views: list[ComplaintView], size: int, query: str, now: datetime | None = None) -> Page:
    """`views`: up to size + 1 items in (due, id) order; the extra one says there is a next page."""
    if len(views) <= size:
        return Page(tuple(views), "")
    last = views[size - 1]
    return Page(tuple(views[:size]), _Cursor(query, last.sort_due, last.complaint_id, now).token())


def _figures(opd: str | None, views: Iterable[ComplaintView], now: datetime) -> OpdFigures:
    month_start = now.astimezone(WIB).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    open_by_status: Counter[str] = Counter()
    to_acknowledge: list[timedelta] = []
    to_resolve: list[timedelta] = []
    breaches = 0
    for v in views:
        breaches += sum(1 for b in v.breaches if (opd is None or b.opd == opd) and month_start <= b.at <= now)
        if opd is not None and v.opd != opd:
            continue
        if v.open:
            open_by_status[v.status] += 1
        if v.dispatched_at and v.acknowledged_at:
            to_acknowledge.append(v.acknowledged_at - v.dispatched_at)
        if v.dispatched_at and v.resolved_at and v.resolved_at >= v.dispatched_at:
            to_resolve.append(v.resolved_at - v.dispatched_at)
    return OpdFigures(
        opd=opd or "",
        open_by_status=dict(sorted(open_by_status.items())),
        median_time_to_acknowledge=_median(to_acknowledge),
        acknowledged=len(to_acknowledge),
        median_time_to_resolve=_median(to_resolve),
        resolved=len(to_resolve),
        breaches_this_month=breaches,
    )


def _median(spans: list[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=statistics.median(s.total_seconds() for s in spans))


def _queue_query(opd: str) -> str:
    return f"queue:{opd}"


def _overdue_query(opd: str | None) -> str:
    return f"overdue:{opd if opd is not None else '*'}"


# --- in memory ----------------------------------------------------------------------------------------------------


class InMemoryComplaintViews(ComplaintViews):
    """The fake: the same documents as MongoDB, in a dict."""

    def __init__(self, policy: Policy, calendar: WorkingCalendar) -> None:
        self._documents = _Documents(policy, calendar)
        self._complaints: dict[str, dict[str, Any]] = {}
        self._tracking: dict[str, str] = {}
        self._lock = threading.Lock()

    def ensure_indexes(self) -> None:
        """Nothing to declare in memory."""

    def apply(self, event: Event, data: bytes) -> None:
        with self._lock:
            tracking = _tracking_number(event)
            if tracking:
                self._tracking[tracking] = event.complaint_id
            current = self._complaints.get(event.complaint_id)
            if self._documents.holds(current, event):
                return
            entries = {**(current or {}).get("events", {}), str(event.sequence): self._documents.entry(event, data)}
            fields = self._documents.derived(event.complaint_id, entries)
            self._complaints[event.complaint_id] = {"_id": event.complaint_id, "events": entries, **fields}

    def document(self, complaint_id: str) -> dict[str, Any] | None:
        """The stored document (for tests that compare the fake with MongoDB)."""
        with self._lock:
            found = self._complaints.get(complaint_id)
            return deepcopy(found) if found is not None else None

    def get(self, reference: str) -> ComplaintView | None:
        reference = reference.strip()[:MAX_REFERENCE_LENGTH]
        with self._lock:
            complaint_id = _complaint_id(reference) or self._tracking.get(reference.upper())
            found = self._complaints.get(complaint_id) if complaint_id else None
            return view_from_document(found) if found is not None and found.get("status") else None

    def _select(
        self, keep: Callable[[ComplaintView], bool], size: int, query: str, token: str, now: datetime | None = None
    ) -> tuple[Page, datetime | None]:
        cursor = _Cursor.parse(token, query)
        now = cursor.now if cursor and cursor.now else now
        with self._lock:
            views = [view_from_document(d) for d in self._complaints.values()]
        chosen = sorted((v for v in views if keep(v)), key=lambda v: (v.sort_due, v.complaint_id))
        if cursor is not None:
            chosen = [v for v in chosen if (v.sort_due, v.complaint_id) > (cursor.due, cursor.complaint_id)]
        return _paged(chosen[: size + 1], size, query, now), now

    def queue(self, opd: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        return self._select(lambda v: v.holder == opd, _page_size(page_size), _queue_query(opd), page_token)[0]

    def overdue(self, opd: str | None, now: datetime, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        cursor = _Cursor.parse(page_token, _overdue_query(opd))
        cutoff = cursor.now if cursor and cursor.now else now

        def keep(v: ComplaintView) -> bool:
            mine = v.holder == opd if opd is not None else v.someone_must_act
            return mine and (v.breached or v.sort_due < cutoff)

        return self._select(keep, _page_size(page_size), _overdue_query(opd), page_token, cutoff)[0]

    def desk(self, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        return self._select(lambda v: v.on_desk, _page_size(page_size), "desk", page_token)[0]

    def figures(self, opd: str | None, now: datetime) -> OpdFigures:
        with self._lock:
            views = [view_from_document(d) for d in self._complaints.values()]
        return _figures(opd, views, now)

    def clear(self) -> None:
        with self._lock:
            self._complaints.clear()
            self._tracking.clear()


# --- MongoDB ------------------------------------------------------------------------------------------------------

# The fields a list needs: everything but the events' bytes.
_WITHOUT_EVENTS = {"events": 0}
_ORDER = [("sort_due", 1), ("_id", 1)]


class MongoComplaintViews(ComplaintViews):
    """Documents in `collection` (default complaint_views) and tracking numbers in `<collection>_tracking`.

    Applying an event: if the document already holds it, only fields found stale are written. Otherwise the event
    is added with an atomic `$set` of `events.<sequence>` that returns the document (so two writers never lose each
    other's events), the derived fields are computed from it and `$set` unless the document's fields already come
    from as many events or more (another writer saw more). Three round trips and one derivation per new event
    (were five and two; on the loaded 2,000-complaint simulation's store the rate stayed at 20-40 events a second,
    where the store's work on a document that holds every event dominates). `_id` filters only: the fast path of
    FerretDB and of MongoDB alike.
    """

    def __init__(
        self, database: MongoDatabase, policy: Policy, calendar: WorkingCalendar, collection: str = "complaint_views"
    ) -> None:
        self._documents = _Documents(policy, calendar)
        self._complaints = database[collection]
        self._tracking = database[f"{collection}_tracking"]

    def ensure_indexes(self) -> None:
        """Equality first, then the sort (due time, id): each list query walks one index range in order."""
        c = self._complaints
        c.create_index([("holder", 1), ("sort_due", 1), ("_id", 1)], name="queue_by_opd")  # queue, OPD overdue
        c.create_index([("holder", 1), ("breached", 1)], name="breached_by_opd")  # OPD overdue, breached branch
        c.create_index([("work", 1), ("sort_due", 1), ("_id", 1)], name="overdue_citywide")
        c.create_index([("work", 1), ("breached", 1)], name="breached_citywide")
        c.create_index([("desk", 1), ("sort_due", 1), ("_id", 1)], name="desk")
        c.create_index([("opd", 1), ("status", 1)], name="figures_by_opd")
        c.create_index([("breaches.opd", 1), ("breaches.at", 1)], name="breaches_by_opd")

    def apply(self, event: Event, data: bytes) -> None:
        complaint_id = event.complaint_id
        tracking = _tracking_number(event)
        if tracking:
            self._tracking.update_one({"_id": tracking}, {"$set": {"complaint_id": complaint_id}}, upsert=True)
        document = self._complaints.find_one({"_id": complaint_id})
        if not self._documents.holds(document, event):
            document = self._complaints.find_one_and_update(
                {"_id": complaint_id},
                {"$set": {f"events.{event.sequence}": self._documents.entry(event, data)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        assert document is not None  # upserted, or held the event already
        fields = self._documents.derived(complaint_id, document.get("events", {}))
        if all(_as_stored(document.get(k)) == v for k, v in fields.items()):
            return  # a redelivered event whose fields are written already
        # Written over fields derived from fewer events only: the events only ever grow, and two writers that read
        # the same number of them read the same events (unless a corrupt feed put two events at this position and
        # the other writer's overwrote the one read here: hence the event id in the filter), so of two writers
        # racing the one that saw more wins.
        held = document.get("events", {}).get(str(event.sequence))  # absent: the event is held at another position
        self._complaints.update_one(
            {
                "_id": complaint_id,
                f"events.{event.sequence}.event_id": held["event_id"] if held else {"$exists": False},
                "$or": [{"applied": {"$exists": False}}, {"applied": {"$lte": fields["applied"]}}],
            },
            {"$set": fields},
        )

    def rebuild(self, complaint_id: str, stream: Sequence[tuple[Event, bytes]]) -> None:
        """A replay's write (suara_kit.replay.Rebuilds): the complaint's whole stream, folded once, written once."""
        for event, _ in stream:
            tracking = _tracking_number(event)
            if tracking:
                self._tracking.update_one({"_id": tracking}, {"$set": {"complaint_id": complaint_id}}, upsert=True)
        document = self._documents.whole(complaint_id, stream)
        self._complaints.replace_one({"_id": complaint_id}, document, upsert=True)

    def get(self, reference: str) -> ComplaintView | None:
        reference = reference.strip()[:MAX_REFERENCE_LENGTH]
        complaint_id = _complaint_id(reference)
        if complaint_id is None:
            found = self._tracking.find_one({"_id": reference.upper()})
            if found is None:
                return None
            complaint_id = str(found["complaint_id"])
        document = self._complaints.find_one({"_id": complaint_id}, _WITHOUT_EVENTS)
        return view_from_document(document) if document is not None and document.get("status") else None

    def _select(self, selector: dict[str, Any], size: int, query: str, token: str, now: datetime | None = None) -> Page:
        cursor = _Cursor.parse(token, query)
        if cursor is not None:
            after = {
                "$or": [
                    {"sort_due": {"$gt": cursor.due}},
                    {"sort_due": cursor.due, "_id": {"$gt": cursor.complaint_id}},
                ]
            }
            selector = {"$and": [selector, after]}
        found = self._complaints.find(selector, _WITHOUT_EVENTS).sort(_ORDER).limit(size + 1)
        return _paged([view_from_document(d) for d in found], size, query, now)

    def queue(self, opd: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        return self._select({"holder": opd}, _page_size(page_size), _queue_query(opd), page_token)

    def overdue(self, opd: str | None, now: datetime, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        query = _overdue_query(opd)
        cursor = _Cursor.parse(page_token, query)
        cutoff = cursor.now if cursor and cursor.now else now
        whose: dict[str, Any] = {"holder": opd} if opd is not None else {"work": True}
        late = {"$or": [{"sort_due": {"$lt": cutoff}}, {"breached": True}]}
        return self._select({"$and": [whose, late]}, _page_size(page_size), query, page_token, cutoff)

    def desk(self, page_size: int = DEFAULT_PAGE_SIZE, page_token: str = "") -> Page:
        return self._select({"desk": True}, _page_size(page_size), "desk", page_token)

    def figures(self, opd: str | None, now: datetime) -> OpdFigures:
        selector: dict[str, Any] = {} if opd is None else {"$or": [{"opd": opd}, {"breaches.opd": opd}]}
        found = self._complaints.find(selector, _WITHOUT_EVENTS)
        return _figures(opd, (view_from_document(d) for d in found if d.get("status")), now)

    def clear(self) -> None:
        self._complaints.delete_many({})
        self._tracking.delete_many({})


def _as_stored(value: Any) -> Any:
    """A value as a tz-aware client reads it back (a client without tz_aware reads dates naive, in UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, list):
        return [_as_stored(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_stored(v) for k, v in value.items()}
    return value
