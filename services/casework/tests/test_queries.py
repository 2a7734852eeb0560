"""The query RPCs over a real in-process gRPC server with the AuthInterceptor and tokens of the development identity
provider's demo users: each role sees what it may, and no more; pages, tokens and watching work end to end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from views_contract import CALENDAR, COORDINATOR, INTEGRATOR, POLICY, T0, Story, officer, routed

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara_casework.adapters.views import InMemoryComplaintViews
from suara_casework.entrypoints.queries import QueryRpcs
from suara_complaint import commands as c
from suara_kit.grpc_server import RunningServer, Service, start_server
from suara_kit.identity import AuthInterceptor, JwksFileKeys, TokenVerifier
from suara_kit.identity.dev import DevIdentityProvider

DEMO_USERS = Path(__file__).resolve().parents[3] / "data" / "kota-kediri" / "demo-users.toml"
NOW = T0 + timedelta(days=4)  # Friday: Monday's acknowledgement deadlines have passed


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("idp"), DEMO_USERS)


@pytest.fixture
def views() -> InMemoryComplaintViews:
    return InMemoryComplaintViews(POLICY, CALENDAR)


@pytest.fixture
def server(idp: DevIdentityProvider, views: InMemoryComplaintViews) -> Iterator[RunningServer]:
    verifier = TokenVerifier(JwksFileKeys(idp.jwks_file), issuer=idp.issuer, audience=idp.audience)
    servicer = QueryRpcs(views, lambda: NOW, watch_poll_seconds=0.05, watch_max_seconds=5)
    service = Service(
        api.DESCRIPTOR.services_by_name["CaseworkService"].full_name,
        lambda server: api_grpc.add_CaseworkServiceServicer_to_server(servicer, server),
    )
    running = start_server("127.0.0.1:0", [service], max_workers=8, interceptors=[AuthInterceptor(verifier)])
    running.mark_serving()
    yield running
    running.stop(grace_seconds=0)


class Caller:
    def __init__(self, stub: api_grpc.CaseworkServiceStub, token: str | None) -> None:
        self._stub, self._metadata = stub, [("authorization", f"Bearer {token}")] if token else []

    def __call__(self, method: str, request: Any) -> Any:
        return getattr(self._stub, method)(request, metadata=self._metadata, timeout=10)

    def refused(self, method: str, request: Any) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as error:
            self(method, request)
        return error.value

    def watch(self, request: Any) -> Any:
        return self._stub.WatchComplaint(request, metadata=self._metadata, timeout=10)


@pytest.fixture
def as_user(server: RunningServer, idp: DevIdentityProvider) -> Iterator[Any]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = api_grpc.CaseworkServiceStub(channel)
        yield lambda username: Caller(stub, idp.mint(username) if username else None)


def get(reference: str) -> api.GetComplaintRequest:
    return api.GetComplaintRequest(reference=reference)


def test_a_call_without_a_token_is_unauthenticated(as_user: Any, views: InMemoryComplaintViews) -> None:
    story = Story(routed()).apply_to(views)

    assert as_user(None).refused("GetComplaint", get(story.complaint_id)).code() is grpc.StatusCode.UNAUTHENTICATED


def test_the_coordinator_reads_any_complaint_by_tracking_number_with_its_deadlines(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    story = Story(routed()).apply_to(views)

    view = as_user("coordinator-diskominfo")("GetComplaint", get(story.tracking_number))

    assert (view.complaint_id, view.status, view.opd, view.version) == (story.complaint_id, "dispatched", "DPUPR", 2)
    assert view.next_due_at.ToDatetime().isoformat() == "2026-11-19T02:00:01"
    assert [d.stage for d in view.deadlines] == ["acknowledge", "resolve"]
    assert view.overdue is True  # the clock says Friday
    assert view.submitted_at.ToDatetime().isoformat() == "2026-11-16T02:00:00"


def test_an_officer_of_another_opd_is_told_not_found_exactly_as_for_a_complaint_that_does_not_exist(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    story = Story(routed()).apply_to(views)
    dlhkp = as_user("officer-dlhkp")

    hidden = dlhkp.refused("GetComplaint", get(story.tracking_number))
    missing = dlhkp.refused("GetComplaint", get("KDR-00000-00000"))

    assert hidden.code() is missing.code() is grpc.StatusCode.NOT_FOUND
    assert hidden.details().replace(story.tracking_number, "?") == missing.details().replace("KDR-00000-00000", "?")
    assert as_user("officer-dpupr")("GetComplaint", get(story.tracking_number)).opd == "DPUPR"


def test_an_opd_that_held_a_complaint_still_sees_it_after_handing_it_back(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    story = Story(routed("DLHKP")).do(c.HandBack, officer("DLHKP"), T0 + timedelta(hours=1), reason="saluran")
    story.do(c.Dispatch, COORDINATOR, T0 + timedelta(hours=2), opd="DPUPR").apply_to(views)

    view = as_user("officer-dlhkp")("GetComplaint", get(story.complaint_id))

    assert (view.opd, list(view.handed_back_by), view.hand_backs) == ("DPUPR", ["DLHKP"], 1)


def test_an_integrator_sees_only_the_complaints_it_submitted(as_user: Any, views: InMemoryComplaintViews) -> None:
    story = Story(routed(), submitted_by=INTEGRATOR).apply_to(views)

    assert as_user("integrator-portal")("GetComplaint", get(story.complaint_id)).status == "dispatched"
    refused = as_user("integrator-112").refused("GetComplaint", get(story.complaint_id))
    assert refused.code() is grpc.StatusCode.NOT_FOUND


def test_an_auditor_may_read_a_complaint_but_not_list_queues(as_user: Any, views: InMemoryComplaintViews) -> None:
    story = Story(routed()).apply_to(views)
    auditor = as_user("auditor")

    assert auditor("GetComplaint", get(story.complaint_id)).status == "dispatched"
    for method, request in [
        ("ListQueue", api.ListQueueRequest(opd="DPUPR")),
        ("ListOverdue", api.ListOverdueRequest()),
        ("ListDesk", api.ListDeskRequest()),
    ]:
        refused = auditor.refused(method, request)
        assert refused.code() is grpc.StatusCode.PERMISSION_DENIED, method
        assert "you are auditor" in refused.details()


def test_an_officer_lists_the_own_opds_queue_and_is_refused_another_naming_role_and_scope(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    mine = [Story(routed(), at=T0 + timedelta(minutes=n)).apply_to(views) for n in range(2)]
    Story(routed("DLHKP")).apply_to(views)
    dpupr = as_user("officer-dpupr")

    own = dpupr("ListQueue", api.ListQueueRequest())
    named = dpupr("ListQueue", api.ListQueueRequest(opd="dpupr"))
    refused = dpupr.refused("ListQueue", api.ListQueueRequest(opd="DLHKP"))

    assert [v.complaint_id for v in own.complaints] == [s.complaint_id for s in mine]
    assert named == own
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
    assert refused.details() == "the queue of DLHKP is for DLHKP's staff; you are officer of DPUPR"


def test_the_coordinator_must_name_the_opd_of_a_queue(as_user: Any, views: InMemoryComplaintViews) -> None:
    story = Story(routed("DLHKP")).apply_to(views)
    coordinator = as_user("coordinator-diskominfo")

    refused = coordinator.refused("ListQueue", api.ListQueueRequest())
    bad = coordinator.refused("ListQueue", api.ListQueueRequest(opd="DLHKP; drop"))

    assert refused.code() is grpc.StatusCode.INVALID_ARGUMENT and refused.details().startswith("opd: required")
    assert bad.code() is grpc.StatusCode.INVALID_ARGUMENT and "is not an OPD code" in bad.details()
    listed = coordinator("ListQueue", api.ListQueueRequest(opd="DLHKP"))
    assert [v.complaint_id for v in listed.complaints] == [story.complaint_id]


def test_a_queue_is_walked_page_by_page_and_a_bad_token_is_invalid_argument(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    stories = [Story(routed(), at=T0 + timedelta(minutes=n)).apply_to(views) for n in range(3)]
    head = as_user("head-dpupr")

    seen, token = [], ""
    while True:
        page = head("ListQueue", api.ListQueueRequest(page_size=2, page_token=token))
        seen += [v.complaint_id for v in page.complaints]
        token = page.next_page_token
        if not token:
            break
    refused = head.refused("ListQueue", api.ListQueueRequest(page_token="not-a-token"))
    huge = head("ListQueue", api.ListQueueRequest(page_size=100_000))

    assert seen == [s.complaint_id for s in stories]
    assert refused.code() is grpc.StatusCode.INVALID_ARGUMENT and refused.details().startswith("page_token:")
    assert len(huge.complaints) == 3


def test_overdue_is_the_officers_opd_or_for_the_coordinator_the_whole_city(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    late_dpupr = Story(routed()).apply_to(views)
    late_dlhkp = Story(routed("DLHKP")).apply_to(views)
    Story(routed(), at=NOW - timedelta(hours=1)).apply_to(views)

    dpupr = as_user("officer-dpupr")("ListOverdue", api.ListOverdueRequest())
    city = as_user("coordinator-diskominfo")("ListOverdue", api.ListOverdueRequest())
    refused = as_user("officer-dpupr").refused("ListOverdue", api.ListOverdueRequest(opd="DLHKP"))

    assert [v.complaint_id for v in dpupr.complaints] == [late_dpupr.complaint_id]
    assert {v.complaint_id for v in city.complaints} == {late_dpupr.complaint_id, late_dlhkp.complaint_id}
    assert all(v.overdue for v in city.complaints)
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED


def test_the_desk_is_the_coordinators_with_why_each_complaint_is_there(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    outside = Story(routed("DISKOMINFO", needs_coordinator=True, outside_authority="PLN")).apply_to(views)
    Story(routed()).apply_to(views)

    desk = as_user("coordinator-diskominfo")("ListDesk", api.ListDeskRequest())
    refused = as_user("head-dpupr").refused("ListDesk", api.ListDeskRequest())

    assert [(v.complaint_id, v.desk_reason) for v in desk.complaints] == [
        (outside.complaint_id, "unverified; outside the city's authority (PLN)")
    ]
    assert desk.complaints[0].outside_authority == "PLN"
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
    assert refused.details() == "the coordinator's desk needs role coordinator or service; you are head of DPUPR"


def test_watching_sends_the_view_then_each_new_version_until_the_client_hangs_up(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    story = Story(routed()).apply_to(views)
    stream = as_user("officer-dpupr").watch(get(story.tracking_number))
    first = next(stream)
    arrived = threading.Event()

    def acknowledge_later() -> None:
        story.do(c.Acknowledge, officer("DPUPR"), T0 + timedelta(hours=1)).apply_to(views)
        arrived.set()

    threading.Timer(0.2, acknowledge_later).start()
    second = next(stream)
    stream.cancel()

    assert arrived.is_set()
    assert (first.version, first.status) == (2, "dispatched")
    assert (second.version, second.status) == (3, "acknowledged")
    with pytest.raises(grpc.RpcError) as ended:
        next(stream)
    assert ended.value.code() is grpc.StatusCode.CANCELLED


def test_watching_a_complaint_of_another_opd_is_not_found(as_user: Any, views: InMemoryComplaintViews) -> None:
    story = Story(routed()).apply_to(views)

    with pytest.raises(grpc.RpcError) as error:
        next(as_user("officer-dlhkp").watch(get(story.complaint_id)))

    assert error.value.code() is grpc.StatusCode.NOT_FOUND


def test_figures_show_what_piles_up_per_opd_and_city_wide_within_each_roles_scope(
    as_user: Any, views: InMemoryComplaintViews
) -> None:
    Story(routed()).apply_to(views)
    Story(routed()).apply_to(views)
    Story(routed("DLHKP")).apply_to(views)

    dpupr = as_user("officer-dpupr")("GetFigures", api.GetFiguresRequest())
    city = as_user("coordinator-diskominfo")("GetFigures", api.GetFiguresRequest())
    refused = as_user("officer-dpupr").refused("GetFigures", api.GetFiguresRequest(opd="DLHKP"))

    assert (dpupr.opd, dict(dpupr.open_by_status)) == ("DPUPR", {"dispatched": 2})
    assert city.opd == ""
    assert sum(city.open_by_status.values()) == 3
    assert not dpupr.HasField("median_hours_to_resolve")  # nothing resolved yet
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED
