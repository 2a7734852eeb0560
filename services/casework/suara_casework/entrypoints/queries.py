"""CaseworkService's queries over gRPC: GetComplaint, ListQueue, ListOverdue, ListDesk and WatchComplaint, read from
the complaint views and scoped by the verified caller (`current_principal()`):

- the coordinator (and Suara's own services) see every complaint, every queue, the city's overdue list, the desk;
- OPD officers and heads see the complaints their OPD holds or held, and their OPD's queue and overdue list; another
  OPD's complaint is NOT_FOUND (its existence is not revealed), another OPD's queue PERMISSION_DENIED;
- integrators see only the complaints they submitted; auditors may read single complaints.

A mixin: the servicer inherits it and calls `QueryRpcs.__init__(self, views, clock)`. PERMISSION_DENIED is raised as
AccessDenied (suara_kit.identity.require), which the AuthInterceptor answers and logs with subject and method.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar, cast

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import PyMongoError

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara_casework.adapters.complaint_view import ComplaintView
from suara_casework.adapters.views import ComplaintViews, InvalidPageToken, Page
from suara_kit.identity import OPD_SCOPED_ROLES, Principal, Role, current_principal, require
from suara_kit.identity import may_see as identity_may_see

log = logging.getLogger(__name__)

CITY_WIDE = (Role.COORDINATOR, Role.SERVICE)
OPD_STAFF = (Role.OFFICER, Role.HEAD)
_OPD_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
Rpc = TypeVar("Rpc", bound=Callable[..., Any])


class BadQuery(ValueError):
    """A malformed field; the text names it."""


def _clip(text: str, limit: int = 64) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read(rpc: Rpc) -> Rpc:
    """A malformed field or page token -> INVALID_ARGUMENT naming it; the store away -> UNAVAILABLE."""

    @functools.wraps(rpc)
    def answer(self: object, request: object, context: grpc.ServicerContext) -> object:
        try:
            return rpc(self, request, context)
        except (BadQuery, InvalidPageToken) as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except PyMongoError as error:
            log.warning("%s: store unavailable: %s", rpc.__name__, type(error).__name__)
            context.abort(grpc.StatusCode.UNAVAILABLE, f"the store is unavailable ({type(error).__name__}); retry")
        raise AssertionError("not reached: abort raises")

    return cast(Rpc, answer)


def may_see(principal: Principal, view: ComplaintView) -> bool:
    """Whether the caller may see this complaint at all."""
    return identity_may_see(principal, view.submitted_by, view.held_by)


def _opd(value: str) -> str:
    code = value.strip().upper()
    if code and not _OPD_CODE.fullmatch(code):
        raise BadQuery(f"opd: {_clip(value)!r} is not an OPD code (letters, digits and _, e.g. DPUPR)")
    return code


def _timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def to_proto(view: ComplaintView, now: datetime) -> api.ComplaintView:
    return api.ComplaintView(
        complaint_id=view.complaint_id,
        tracking_number=view.tracking_number,
        version=view.version,
        status=view.status,
        category=view.category,
        priority=view.priority,
        opd=view.opd,
        officer=view.officer,
        kelurahan_code=view.kelurahan_code,
        submitted_at=_timestamp(view.submitted_at),
        updated_at=_timestamp(view.updated_at),
        next_due_at=_timestamp(view.next_due_at),
        deadlines=[
            api.DeadlineView(
                deadline_id=d.deadline_id,
                stage=d.stage,
                opd=d.opd,
                due_at=_timestamp(d.due_at),
                warned=d.warned,
                breached=d.breached,
                paused_seconds_left=d.paused_seconds_left,
            )
            for d in view.deadlines
        ],
        handed_back_by=view.handed_back_by,
        hand_backs=view.hand_backs,
        decided_owner=view.decided_owner,
        owner_final=view.owner_final,
        escalation=view.escalation,
        duplicate_of=view.duplicate_of,
        possible_duplicate_of=view.possible_duplicate_tracking_number or view.possible_duplicate_of,
        outside_authority=view.outside_authority,
        emergency=view.emergency,
        overdue=view.overdue_at(now),
        rating=view.rating,
        resolution=view.resolution,
        desk_reason=view.desk_reason,
    )


class QueryRpcs(api_grpc.CaseworkServiceServicer):
    """The query RPCs of CaseworkService. WatchComplaint polls the views every `watch_poll_seconds` and ends after
    `watch_max_seconds` (the client watches again), so a forgotten watch does not hold a server thread for ever."""

    def __init__(
        self,
        views: ComplaintViews,
        clock: Callable[[], datetime],
        *,
        watch_poll_seconds: float = 0.5,
        watch_max_seconds: float = 600.0,
    ) -> None:
        self._views = views
        self._clock = clock
        self._watch_poll_seconds = watch_poll_seconds
        self._watch_max_seconds = watch_max_seconds

    def _visible(self, reference: str) -> ComplaintView:
        """The complaint the caller may see, or NOT_FOUND alike whether it does not exist or is not theirs."""
        reference = reference.strip()
        if not reference:
            raise BadQuery("reference: required (a complaint id or a tracking number such as KDR-1KG6V-XGJA0)")
        principal = current_principal()
        view = self._views.get(reference)
        if view is None or not may_see(principal, view):
            raise _NotFound(f"no complaint {_clip(reference)!r} that you may see")
        return view

    def _listed(self, page: Page) -> api.ListComplaintsResponse:
        now = self._clock()
        return api.ListComplaintsResponse(
            complaints=[to_proto(v, now) for v in page.views], next_page_token=page.next_page_token
        )

    @read
    def GetComplaint(self, request: api.GetComplaintRequest, context: grpc.ServicerContext) -> api.ComplaintView:
        try:
            return to_proto(self._visible(request.reference), self._clock())
        except _NotFound as error:
            context.abort(grpc.StatusCode.NOT_FOUND, str(error))
            raise  # unreachable: abort raises

    @read
    def ListQueue(self, request: api.ListQueueRequest, context: grpc.ServicerContext) -> api.ListComplaintsResponse:
        principal = require(current_principal(), [*CITY_WIDE, *OPD_STAFF], action="ListQueue")
        opd = _opd(request.opd) or (principal.opd if principal.role in OPD_SCOPED_ROLES else "")
        if not opd:
            raise BadQuery("opd: required for the coordinator: name the OPD whose queue to list (e.g. DPUPR)")
        require(principal, [*CITY_WIDE, *OPD_STAFF], opd=opd, action=f"the queue of {opd}")
        return self._listed(self._views.queue(opd, request.page_size, request.page_token))

    @read
    def ListOverdue(self, request: api.ListOverdueRequest, context: grpc.ServicerContext) -> api.ListComplaintsResponse:
        principal = require(current_principal(), [*CITY_WIDE, *OPD_STAFF], action="ListOverdue")
        opd = _opd(request.opd) or (principal.opd if principal.role in OPD_SCOPED_ROLES else "")
        if opd:
            require(principal, [*CITY_WIDE, *OPD_STAFF], opd=opd, action=f"the overdue list of {opd}")
        page = self._views.overdue(opd or None, self._clock(), request.page_size, request.page_token)
        return self._listed(page)

    @read
    def GetFigures(self, request: api.GetFiguresRequest, context: grpc.ServicerContext) -> api.OpdFigures:
        principal = require(current_principal(), [*CITY_WIDE, *OPD_STAFF, Role.AUDITOR], action="GetFigures")
        opd = _opd(request.opd) or (principal.opd or "" if principal.role in OPD_SCOPED_ROLES else "")
        if opd:
            require(principal, [*CITY_WIDE, *OPD_STAFF, Role.AUDITOR], opd=opd, action=f"the figures of {opd}")
        figures = self._views.figures(opd or None, self._clock())
        reply = api.OpdFigures(
            opd=opd,
            open_by_status={status: count for status, count in figures.open_by_status.items()},
            acknowledged=figures.acknowledged,
            resolved=figures.resolved,
            breaches_this_month=figures.breaches_this_month,
        )
        if figures.median_time_to_acknowledge is not None:
            reply.median_hours_to_acknowledge = figures.median_time_to_acknowledge.total_seconds() / 3600
        if figures.median_time_to_resolve is not None:
            reply.median_hours_to_resolve = figures.median_time_to_resolve.total_seconds() / 3600
        return reply

    @read
    def ListDesk(self, request: api.ListDeskRequest, context: grpc.ServicerContext) -> api.ListComplaintsResponse:
        require(current_principal(), CITY_WIDE, action="the coordinator's desk")
        return self._listed(self._views.desk(request.page_size, request.page_token))

    def WatchComplaint(
        self, request: api.GetComplaintRequest, context: grpc.ServicerContext
    ) -> Iterator[api.ComplaintView]:
        try:
            view = self._visible(request.reference)
        except BadQuery as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except _NotFound as error:
            context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        except PyMongoError as error:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"the store is unavailable ({type(error).__name__}); retry")
        yield to_proto(view, self._clock())
        ended = threading.Event()
        context.add_callback(ended.set)  # the client hung up, or the call ended
        give_up_at = time.monotonic() + self._watch_max_seconds
        while not ended.wait(self._watch_poll_seconds) and time.monotonic() < give_up_at:
            try:
                latest = self._views.get(view.complaint_id)
            except PyMongoError as error:  # the store blinked: keep watching
                log.warning("WatchComplaint: store unavailable: %s", type(error).__name__)
                continue
            if latest is not None and latest.version != view.version:
                view = latest
                yield to_proto(view, self._clock())


class _NotFound(LookupError):
    pass
