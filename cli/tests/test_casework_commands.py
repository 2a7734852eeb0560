"""The casework commands (`suara queue`, `show`, `ack`, `hand-back` ...) against a fake CaseworkService on a real
in-process gRPC server behind the real AuthInterceptor (tokens from a development identity provider in a temporary
folder); `suara categories` from the repository's catalogue; `suara trace` of lifecycle events and `--follow`."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

import suara_cli.main as cli_main
from suara.v1 import casework_pb2 as cw
from suara.v1 import casework_pb2_grpc
from suara_cli.main import main
from suara_complaint import events as lc
from suara_complaint.actors import Actor, Role
from suara_complaint.policy import EscalationLevel, ResolutionKind, Stage, working_days
from suara_intake.adapters.timeline import InMemoryTimeline
from suara_intake.entrypoints.grpc_api import ComplaintServicer, complaint_service
from suara_intake.handlers import trace_complaint
from suara_kit import codec
from suara_kit.events import Actor as EnvelopeActor
from suara_kit.events import ActorKind, ComplaintSubmitted, Event, SourceChannel
from suara_kit.grpc_server import Service, start_server
from suara_kit.identity import AuthInterceptor, IdentitySettings, Principal, current_principal
from suara_kit.identity import Role as PrincipalRole
from suara_kit.identity.dev import DevIdentityProvider
from suara_kit.settings import Env

REPOSITORY = Path(__file__).resolve().parents[2]
DATA_DIR = REPOSITORY / "data" / "kota-kediri"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB

ROAD = "0b8f9c1e-3c52-5f1c-9a57-4b6b8f0d2a11"
DRAIN = "1c9a0d2f-4d63-5a2d-8b68-5c7c9a1e3b22"
WASTE = "2dab1e30-5e74-5b3e-9c79-6d8dab2f4c33"
DESK = "3ebc2f41-6f85-5c4f-ad8a-7e9ebc305d44"

# What each command leaves the fake complaint in (the real rules are the aggregate's, tested in suara-complaint).
RESULTING_STATUS = {
    "Verify": "submitted",
    "RequestInfo": "waiting_on_citizen",
    "Dispatch": "dispatched",
    "Redispatch": "dispatched",
    "MarkDuplicate": "duplicate",
    "Archive": "archived",
    "Escalate": "in_progress",
    "DecideOwner": "dispatched",
    "Acknowledge": "acknowledged",
    "Assign": "in_progress",
    "PostFollowUp": "in_progress",
    "HandBack": "returned",
    "Resolve": "resolved",
    "AddInfo": "dispatched",
    "ConfirmResolved": "closed",
    "Reopen": "reopened",
    "Rate": "closed",
}


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment)
    return value


def view(complaint_id: str, tracking: str, opd: str, status: str, due_in_hours: int, **extra: Any) -> cw.ComplaintView:
    return cw.ComplaintView(
        complaint_id=complaint_id,
        tracking_number=tracking,
        version=3,
        status=status,
        category=extra.pop("category", "jalan_rusak"),
        priority="normal",
        opd=opd,
        kelurahan_code="35.71.03.1006",
        submitted_at=stamp(NOW - timedelta(days=2)),
        updated_at=stamp(NOW - timedelta(hours=1)),
        next_due_at=stamp(NOW + timedelta(hours=due_in_hours)),
        **extra,
    )


@dataclass
class Call:
    rpc: str
    request: Any
    principal: Principal
    metadata: dict[str, str]


@dataclass
class FakeCasework(casework_pb2_grpc.CaseworkServiceServicer):
    """Complaint views in a dict; commands check the expected version and the idempotency key, bump the version and
    set a status, refusing as the real service does (the codes and the parts of the messages the CLI relies on)."""

    views: dict[str, cw.ComplaintView] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    replies: dict[str, cw.CommandReply] = field(default_factory=dict)
    refuse_next: tuple[grpc.StatusCode, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, reference: str, context: grpc.ServicerContext) -> cw.ComplaintView:
        for candidate in self.views.values():
            if reference in (candidate.complaint_id, candidate.tracking_number):
                return candidate
        context.abort(grpc.StatusCode.NOT_FOUND, f"no complaint {reference!r}")
        raise AssertionError("abort raises")

    def visible(self, complaint: cw.ComplaintView, principal: Principal) -> bool:
        return principal.role is PrincipalRole.COORDINATOR or principal.opd == complaint.opd

    def GetFigures(self, request: cw.GetFiguresRequest, context: grpc.ServicerContext) -> cw.OpdFigures:
        opd = request.opd or (current_principal().opd or "")
        held = [v for v in self.views.values() if not opd or v.opd == opd]
        figures = cw.OpdFigures(opd=opd, acknowledged=1, resolved=0, breaches_this_month=2)
        for view in held:
            figures.open_by_status[view.status] = figures.open_by_status[view.status] + 1
        figures.median_hours_to_acknowledge = 5.5
        return figures

    def GetComplaint(self, request: cw.GetComplaintRequest, context: grpc.ServicerContext) -> cw.ComplaintView:
        found = self.find(request.reference, context)
        principal = current_principal()
        if principal.role in (PrincipalRole.OFFICER, PrincipalRole.HEAD) and not self.visible(found, principal):
            context.abort(grpc.StatusCode.NOT_FOUND, f"no complaint {request.reference!r}")
        return found

    def command(self, rpc: str, request: Any, context: grpc.ServicerContext) -> cw.CommandReply:
        header = request if isinstance(request, cw.CommandHeader) else request.header
        principal = current_principal()
        with self.lock:
            self.calls.append(Call(rpc, request, principal, dict(context.invocation_metadata())))
            if self.refuse_next is not None:
                code, message = self.refuse_next
                self.refuse_next = None
                context.abort(code, message)
            if header.idempotency_key in self.replies:
                again = cw.CommandReply()
                again.CopyFrom(self.replies[header.idempotency_key])
                del again.event_types[:], again.event_ids[:]
                return again
            complaint = self.find(header.complaint_id, context)
            if principal.role in (PrincipalRole.OFFICER, PrincipalRole.HEAD) and not self.visible(complaint, principal):
                context.abort(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"{principal.scope} may not act on a complaint of {complaint.opd}",
                )
            if header.expected_version and header.expected_version != complaint.version:
                context.abort(
                    grpc.StatusCode.ABORTED,
                    f"expected version {header.expected_version}, but the complaint is at version {complaint.version}",
                )
            complaint.version += 1
            complaint.status = RESULTING_STATUS[rpc]
            event_type = f"Lifecycle.{rpc}"
            reply = cw.CommandReply(
                complaint_id=complaint.complaint_id,
                version=complaint.version,
                status=complaint.status,
                event_types=[event_type],
                event_ids=[f"ev-{complaint.version}"],
            )
            self.replies[header.idempotency_key] = reply
            return reply

    def page(self, found: list[cw.ComplaintView], size: int, token: str) -> cw.ListComplaintsResponse:
        found.sort(key=lambda v: v.next_due_at.ToDatetime())
        start = int(token or 0)
        rest = found[start + size :]
        return cw.ListComplaintsResponse(
            complaints=found[start : start + size], next_page_token=str(start + size) if rest else ""
        )

    def ListQueue(self, request: cw.ListQueueRequest, context: grpc.ServicerContext) -> cw.ListComplaintsResponse:
        self.calls.append(Call("ListQueue", request, current_principal(), dict(context.invocation_metadata())))
        opd = request.opd or current_principal().opd
        return self.page([v for v in self.views.values() if v.opd == opd], request.page_size, request.page_token)

    def ListOverdue(self, request: cw.ListOverdueRequest, context: grpc.ServicerContext) -> cw.ListComplaintsResponse:
        found = [v for v in self.views.values() if v.overdue and (not request.opd or v.opd == request.opd)]
        return self.page(found, request.page_size, request.page_token)

    def ListDesk(self, request: cw.ListDeskRequest, context: grpc.ServicerContext) -> cw.ListComplaintsResponse:
        if current_principal().role is not PrincipalRole.COORDINATOR:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{current_principal().scope} may not see the desk")
        found = [v for v in self.views.values() if v.desk_reason]
        return self.page(found, request.page_size, request.page_token)


def _command_method(rpc: str) -> Callable[[FakeCasework, Any, grpc.ServicerContext], cw.CommandReply]:
    def method(self: FakeCasework, request: Any, context: grpc.ServicerContext) -> cw.CommandReply:
        return self.command(rpc, request, context)

    return method


for _rpc in RESULTING_STATUS:
    setattr(FakeCasework, _rpc, _command_method(_rpc))


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("identity"), DATA_DIR / "demo-users.toml")


@pytest.fixture
def casework(provider: DevIdentityProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Casework]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUARA_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("SUARA_IDENTITY_DIR", str(provider.state_dir))
    fake = FakeCasework()
    fake.views = {
        ROAD: view(ROAD, "KDR-ROAD1-AAAAA", "DPUPR", "dispatched", 30),
        DRAIN: view(DRAIN, "KDR-DRAIN-BBBBB", "DPUPR", "acknowledged", -5, overdue=True, category="drainase"),
        WASTE: view(WASTE, "KDR-WASTE-CCCCC", "DLHKP", "dispatched", 10, category="sampah"),
        DESK: view(DESK, "KDR-DESKK-DDDDD", "", "returned", 2, desk_reason="returned by DPUPR", hand_backs=1),
    }
    fake.views[DESK].handed_back_by.append("DPUPR")
    interceptor = AuthInterceptor(IdentitySettings.from_env(Env(provider.service_env())).verifier())
    service = Service(
        "suara.v1.CaseworkService",
        lambda server: casework_pb2_grpc.add_CaseworkServiceServicer_to_server(fake, server),
    )
    running = start_server("127.0.0.1:0", [service], max_workers=4, interceptors=[interceptor])
    yield Casework(fake, f"127.0.0.1:{running.port}")
    running.stop(grace_seconds=0)


@dataclass
class Casework:
    fake: FakeCasework
    address: str

    def run(self, *argv: str, user: str | None = "officer-dpupr") -> int:
        if user is not None:
            assert main(["login", user]) == 0
        return main(["--casework", self.address, *argv])


def output(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def logged_in(capsys: pytest.CaptureFixture[str]) -> str:
    """The output after the `suara login` line."""
    out = capsys.readouterr().out
    return out.split("\n", 1)[1]


# --- queries ----------------------------------------------------------------------------------------------------------


def test_queue_lists_the_officers_own_opd_soonest_due_first_as_a_table(casework: Casework, capsys) -> None:
    assert casework.run("queue") == 0

    lines = logged_in(capsys).splitlines()
    assert lines[0] == "your OPD's queue: 2 complaint(s)"
    assert lines[1].split() == [
        "tracking",
        "number",
        "status",
        "priority",
        "category",
        "OPD",
        "officer",
        "due",
        "(WIB)",
        "notes",
    ]
    assert lines[2].split()[:5] == ["KDR-DRAIN-BBBBB", "acknowledged", "normal", "drainase", "DPUPR"]
    assert lines[2].rstrip().endswith("2026-11-23 04:00  OVERDUE")
    assert lines[3].split()[0] == "KDR-ROAD1-AAAAA" and "2026-11-24 15:00" in lines[3]
    assert "KDR-WASTE-CCCCC" not in "\n".join(lines)
    (call,) = casework.fake.calls
    assert call.principal.display_name == "Agus Prasetyo"
    assert call.metadata["suara-client-id"] == "suara-cli"


def test_queue_json_is_one_object_with_numbers_and_iso_times_for_scripts(casework: Casework, capsys) -> None:
    assert casework.run("queue", "--opd", "dlhkp", "--json", user="coordinator-diskominfo") == 0

    document = json.loads(logged_in(capsys))
    assert document["next_page_token"] == ""
    (only,) = document["complaints"]
    assert only["tracking_number"] == "KDR-WASTE-CCCCC"
    assert only["version"] == 3 and only["opd"] == "DLHKP"
    assert only["next_due_at"] == "2026-11-23T12:00:00Z"
    assert only["deadlines"] == [] and only["overdue"] is False


def test_queue_pages_say_how_to_get_the_next_page(casework: Casework, capsys) -> None:
    assert casework.run("queue", "--page-size", "1") == 0

    out = logged_in(capsys)
    assert "KDR-DRAIN-BBBBB" in out and "KDR-ROAD1-AAAAA" not in out
    assert out.splitlines()[-1] == "more: the same command with --page-token 1"

    assert casework.run("queue", "--page-size", "1", "--page-token", "1", user=None) == 0
    out = capsys.readouterr().out
    assert "KDR-ROAD1-AAAAA" in out and "more:" not in out


def test_overdue_and_the_desk_list_what_they_hold(casework: Casework, capsys) -> None:
    assert casework.run("overdue", user="coordinator-diskominfo") == 0
    out = logged_in(capsys)
    assert "KDR-DRAIN-BBBBB" in out and "KDR-ROAD1-AAAAA" not in out

    assert casework.run("desk", user=None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "the coordinator's desk: 1 complaint(s)"
    assert lines[2].split()[0] == "KDR-DESKK-DDDDD"
    assert lines[2].endswith("returned by DPUPR; 1 hand-back(s)")


def test_an_empty_list_says_so(casework: Casework, capsys) -> None:
    assert casework.run("overdue", "--opd", "DLHKP", user="coordinator-diskominfo") == 0

    assert logged_in(capsys) == "overdue in DLHKP: no complaints\n"


def test_show_by_tracking_number_prints_status_version_and_deadlines(casework: Casework, capsys) -> None:
    road = casework.fake.views[ROAD]
    road.deadlines.append(
        cw.DeadlineView(deadline_id="d1", stage="acknowledge", opd="DPUPR", due_at=stamp(NOW + timedelta(hours=30)))
    )
    road.deadlines.append(cw.DeadlineView(deadline_id="d2", stage="resolve", opd="DPUPR", paused_seconds_left=93_600))

    assert casework.run("show", "KDR-ROAD1-AAAAA") == 0

    lines = logged_in(capsys).splitlines()
    assert lines[0] == f"KDR-ROAD1-AAAAA  (complaint {ROAD})"
    assert lines[1] == "  status:         dispatched  (version 3: --expected-version 3)"
    assert "  OPD:            DPUPR" in lines
    assert lines[-3:] == [
        "    stage        OPD    due (WIB)             state",
        "    acknowledge  DPUPR  2026-11-24 15:00      open",
        "    resolve      DPUPR  paused, 1 d 2 h left  open",
    ]


def test_show_json_is_the_whole_view(casework: Casework, capsys) -> None:
    assert casework.run("show", DESK, "--json", user="coordinator-diskominfo") == 0

    shown = json.loads(logged_in(capsys))
    assert shown["complaint_id"] == DESK
    assert (shown["hand_backs"], shown["handed_back_by"], shown["desk_reason"]) == (1, ["DPUPR"], "returned by DPUPR")


# --- commands --------------------------------------------------------------------------------------------------------


def test_ack_by_tracking_number_sends_the_id_the_version_read_and_a_new_key(casework: Casework, capsys) -> None:
    assert casework.run("ack", "KDR-ROAD1-AAAAA") == 0

    out = logged_in(capsys).splitlines()
    (call,) = casework.fake.calls
    assert (call.rpc, call.request.complaint_id, call.request.expected_version) == ("Acknowledge", ROAD, 3)
    key = call.request.idempotency_key
    assert key.startswith("cli-") and len(key) > 20
    assert out == [
        "acknowledged KDR-ROAD1-AAAAA: status acknowledged, version 4",
        "  recorded: Lifecycle.Acknowledge",
        f"  key: {key}  (the same command with this --key is never recorded twice)",
    ]
    assert call.metadata["authorization"].startswith("Bearer ")


def test_the_same_key_again_records_nothing_and_says_so(casework: Casework, capsys) -> None:
    casework.run("follow-up", "KDR-ROAD1-AAAAA", "Tim sudah survei lokasi.", "--key", "k-1")
    capsys.readouterr()

    assert casework.run("follow-up", "KDR-ROAD1-AAAAA", "Tim sudah survei lokasi.", "--key", "k-1", user=None) == 0

    out = capsys.readouterr().out
    assert "nothing new recorded: this key was used before" in out
    assert casework.fake.views[ROAD].version == 4
    assert casework.fake.calls[-1].request.text == "Tim sudah survei lokasi."


def test_command_json_reports_version_status_events_and_key(casework: Casework, capsys) -> None:
    code = casework.run(
        "hand-back", "KDR-ROAD1-AAAAA", "--reason", "Jalan provinsi", "--suggest", "prov_jatim_bina_marga", "--json"
    )

    assert code == 0
    reply = json.loads(logged_in(capsys))
    request = casework.fake.calls[-1].request
    assert (request.reason, request.suggested_opd) == ("Jalan provinsi", "PROV_JATIM_BINA_MARGA")
    assert reply == {
        "command": "hand-back",
        "complaint_id": ROAD,
        "tracking_number": "KDR-ROAD1-AAAAA",
        "version": 4,
        "status": "returned",
        "recorded": True,
        "event_types": ["Lifecycle.HandBack"],
        "event_ids": ["ev-4"],
        "idempotency_key": request.header.idempotency_key,
    }


def test_a_complaint_changed_since_it_was_seen_is_aborted_with_the_current_version(casework: Casework, capsys) -> None:
    code = casework.run("resolve", "KDR-ROAD1-AAAAA", "Sudah ditambal.", "--expected-version", "2")

    err = output(capsys)[1]
    assert code == 1
    assert casework.fake.views[ROAD].version == 3  # nothing recorded
    assert err.splitlines() == [
        "suara: ABORTED: expected version 2, but the complaint is at version 3",
        "  the complaint changed (now version 3): run `suara show KDR-ROAD1-AAAAA` and try again",
    ]


def test_aborted_in_json_mode_gives_scripts_the_current_version(casework: Casework, capsys) -> None:
    # Someone acted between the read (version 3) and the command.
    casework.fake.refuse_next = (grpc.StatusCode.ABORTED, "expected version 3, but the complaint is at version 7")

    code = casework.run("ack", ROAD, "--json", "--key", "k-2")

    assert code == 1
    error = json.loads(logged_in(capsys))["error"]
    assert (error["code"], error["current_version"], error["idempotency_key"]) == ("ABORTED", 7, "k-2")


def test_expected_version_0_with_an_id_skips_the_read(casework: Casework, capsys) -> None:
    assert casework.run("ack", ROAD, "--expected-version", "0") == 0

    assert [c.rpc for c in casework.fake.calls] == ["Acknowledge"]
    assert casework.fake.calls[0].request.expected_version == 0
    assert logged_in(capsys).startswith(f"acknowledged {ROAD}: status acknowledged, version 4")


def test_a_refused_transition_shows_the_servers_rule_and_where_to_look(casework: Casework, capsys) -> None:
    casework.fake.refuse_next = (
        grpc.StatusCode.FAILED_PRECONDITION,
        "status dispatched: resolve only after acknowledge (rule acknowledge-before-resolve)",
    )

    code = casework.run("resolve", "KDR-ROAD1-AAAAA", "Selesai.")

    assert code == 1
    assert output(capsys)[1].splitlines() == [
        "suara: FAILED_PRECONDITION: status dispatched: resolve only after acknowledge"
        " (rule acknowledge-before-resolve)",
        "  `suara show KDR-ROAD1-AAAAA` shows its status and owner",
    ]


def test_another_opds_complaint_is_permission_denied_with_who_you_are(casework: Casework, capsys) -> None:
    code = casework.run("ack", WASTE, "--expected-version", "3")

    err = output(capsys)[1].splitlines()
    assert code == 1
    assert err[0] == "suara: PERMISSION_DENIED: officer of DPUPR may not act on a complaint of DLHKP"
    assert err[1].startswith("  logged in as officer-dpupr; log in as a user whose role may do this")


def test_not_logged_in_says_how_to_log_in_and_calls_nothing(casework: Casework, capsys) -> None:
    code = casework.run("queue", user=None)

    assert code == 1
    assert output(capsys)[1].startswith("suara: not logged in: run `suara login USERNAME`")
    assert casework.fake.calls == []


def test_a_token_the_service_rejects_is_unauthenticated_with_the_login_advice(
    casework: Casework, tmp_path: Path, capsys
) -> None:
    other = DevIdentityProvider.ensure(tmp_path / "other-idp", DATA_DIR / "demo-users.toml")
    (tmp_path / "token").write_text(other.mint("officer-dpupr", timedelta(hours=1)) + "\n")

    code = casework.run("queue", user=None)

    err = output(capsys)[1].splitlines()
    assert code == 1
    assert err[0].startswith("suara: UNAUTHENTICATED: ")
    assert (
        err[1]
        == "  run `suara login officer-dpupr` (or `suara login --token -` with a token from your identity provider)"
    )


def test_an_unreachable_service_says_retry_with_the_same_key_and_exits_75(casework: Casework, capsys) -> None:
    casework.fake.refuse_next = (grpc.StatusCode.UNAVAILABLE, "the event store is unreachable")

    code = casework.run("ack", "KDR-ROAD1-AAAAA", "--key", "k-3")

    assert code == 75
    assert output(capsys)[1].splitlines()[1] == (
        f"  retry with --key k-3 (`--casework` is {casework.address}): the same command with the same --key is never"
        " recorded twice"
    )


def test_an_unknown_reference_is_not_found_with_advice(casework: Casework, capsys) -> None:
    code = casework.run("ack", "KDR-00000-00000")

    err = output(capsys)[1].splitlines()
    assert code == 1
    assert err == [
        "suara: NOT_FOUND: no complaint 'KDR-00000-00000'",
        "  check the complaint id or tracking number (`suara queue` lists your OPD's complaints)",
    ]


@pytest.mark.parametrize(
    ("argv", "rpc", "fields"),
    [
        (["verify", "--kind", "sengketa"], "Verify", {"kind": "sengketa"}),
        (["request-info", "Di RT berapa?"], "RequestInfo", {"question": "Di RT berapa?"}),
        (["dispatch", "dlhkp"], "Dispatch", {"opd": "DLHKP", "reason": ""}),
        (["redispatch", "DLHKP", "--reason", "sampah"], "Redispatch", {"opd": "DLHKP", "reason": "sampah"}),
        (["decide", "DPUPR", "--reason", "jalan kota"], "DecideOwner", {"opd": "DPUPR", "final": True}),
        (["decide", "DPUPR", "--reason", "coba", "--not-final"], "DecideOwner", {"final": False}),
        (["archive", "--reason", "spam"], "Archive", {"reason": "spam"}),
        (["duplicate", "KDR-DRAIN-BBBBB"], "MarkDuplicate", {"duplicate_of": DRAIN}),
        (["escalate", "--reason", "lama", "--level", "coordinator"], "Escalate", {"level": "coordinator"}),
        (["assign", "budi"], "Assign", {"officer": "budi"}),
        (["add-info", "RT 03"], "AddInfo", {"text": "RT 03"}),
        (["confirm"], "ConfirmResolved", {}),
        (["reopen", "--reason", "masih rusak"], "Reopen", {"reason": "masih rusak"}),
        (["rate", "4", "--comment", "cepat"], "Rate", {"score": 4, "comment": "cepat"}),
    ],
)
def test_every_command_calls_its_rpc_with_its_fields(
    casework: Casework, capsys, argv: list[str], rpc: str, fields: dict[str, Any]
) -> None:
    name, *rest = argv

    assert casework.run(name, "KDR-ROAD1-AAAAA", *rest, user="coordinator-diskominfo") == 0

    call = casework.fake.calls[-1]
    header = call.request if rpc == "ConfirmResolved" else call.request.header
    assert (call.rpc, header.complaint_id, header.expected_version) == (rpc, ROAD, 3)
    assert {k: getattr(call.request, k) for k in fields} == fields


def test_a_rating_outside_1_to_4_is_refused_before_any_call(casework: Casework, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        casework.run("rate", ROAD, "5")

    assert exit_.value.code == 2
    assert "invalid choice: 5" in output(capsys)[1]
    assert casework.fake.calls == []


def test_the_casework_address_comes_from_the_environment(
    casework: Casework, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("SUARA_CASEWORK_ADDR", casework.address)
    assert main(["login", "officer-dpupr"]) == 0

    assert main(["queue"]) == 0

    assert [c.rpc for c in casework.fake.calls] == ["ListQueue"]


# --- categories ------------------------------------------------------------------------------------------------------


def test_categories_lists_codes_with_name_opd_and_priority(capsys) -> None:
    assert main(["categories"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["code", "name", "OPD", "priority", "notes"]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert rows["jalan_rusak"].startswith("jalan_rusak ") and " DPUPR " in rows["jalan_rusak"]
    assert "Jalan rusak / berlubang / ambles" in rows["jalan_rusak"]
    assert "emergency (112)" in rows["kebakaran"] and " DAMKAR " in rows["kebakaran"]
    assert lines[-1] == f"{len(rows)} categories from {DATA_DIR / 'categories.toml'}"


def test_categories_json_matches_the_catalogue_file(capsys) -> None:
    import tomllib

    assert main(["categories", "--json"]) == 0

    listed = {c["code"]: c for c in json.loads(capsys.readouterr().out)}
    with open(DATA_DIR / "categories.toml", "rb") as f:
        expected = {c["code"]: c for c in tomllib.load(f)["category"]}
    assert listed.keys() == expected.keys()
    for code, entry in expected.items():
        assert (listed[code]["name"], listed[code]["opd"], listed[code]["priority"]) == (
            entry["label"],
            entry["opd"],
            entry["priority"],
        )


def test_categories_from_a_missing_folder_names_the_file(tmp_path: Path, capsys) -> None:
    assert main(["categories", "--catalogue", str(tmp_path)]) == 2

    assert "agencies.toml: missing" in capsys.readouterr().err


# --- trace: lifecycle events, --follow ------------------------------------------------------------------------------


class Intake:
    """Intake's TraceComplaint over a timeline the test fills: one submitted complaint, then lifecycle events."""

    def __init__(self) -> None:
        self.timeline = InMemoryTimeline()
        self.address = ""
        self.sequence = 1
        self.first = Event(
            event_id=lc.derived_id("test", "submitted"),
            complaint_id=lc.derived_id("test", "complaint"),
            sequence=1,
            occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            actor=EnvelopeActor(ActorKind.INTEGRATOR, "lapor-mbak-wali-112", "Lapor Mbak Wali 112"),
            correlation_id=lc.derived_id("test", "request"),
            causation_id="",
            producer="suara-intake",
            payload=ComplaintSubmitted(
                tracking_number="KDR-TRACE-00001",
                text="Jalan Merbabu berlubang besar.",
                category="jalan_rusak",
                kelurahan_code="35.71.03.1006",
                kelurahan_name="Mrican",
                kecamatan_name="Mojoroto",
                source_channel=SourceChannel.PHONE_112,
                anonymous=False,
                has_reporter_contact=False,
                idempotency_key="trace-1",
            ),
        )
        self.timeline.apply(self.first, codec.encode(self.first))

    def submitted(self) -> Event:
        return self.first

    def record(self, change: lc.Event, display_name: str = "") -> None:
        """Project one lifecycle event into the timeline, as intake's projector does from the topic."""
        self.sequence += 1
        event = codec.lifecycle_event(
            change,
            self.sequence,
            correlation_id=self.first.correlation_id,
            causation_id=self.first.event_id,
            producer="suara-casework",
            display_name=display_name,
        )
        self.timeline.apply(event, codec.encode(event))


@pytest.fixture
def intake(provider: DevIdentityProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Intake]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUARA_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("SUARA_IDENTITY_DIR", str(provider.state_dir))
    fakes = Intake()
    servicer = ComplaintServicer(_no_submissions, functools.partial(trace_complaint, timeline=fakes.timeline))
    interceptor = AuthInterceptor(IdentitySettings.from_env(Env(provider.service_env())).verifier())
    running = start_server("127.0.0.1:0", [complaint_service(servicer)], max_workers=2, interceptors=[interceptor])
    fakes.address = f"127.0.0.1:{running.port}"
    assert main(["login", "coordinator-diskominfo"]) == 0
    yield fakes
    running.stop(grace_seconds=0)


def _no_submissions(*_: Any) -> Any:
    raise AssertionError("these tests submit nothing")


OFFICER = Actor("sub-agus", Role.OPD_OFFICER, "DPUPR")
COORDINATOR = Actor("sub-rina", Role.COORDINATOR)
CITIZEN = Actor("lapor-mbak-wali-112", Role.INTEGRATOR)
CLOCK = Actor("suara-deadlines", Role.SYSTEM)


def at(hours: float) -> datetime:
    return datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(hours=hours)


def common(intake: Intake, actor: Actor, hours: float, name: str) -> dict[str, Any]:
    return {
        "event_id": lc.derived_id("test", name),
        "complaint_id": intake.submitted().complaint_id,
        "at": at(hours),
        "actor": actor,
        "command_key": f"key-{name}",
    }


def test_trace_prints_lifecycle_events_with_the_actors_name_role_opd_and_fields(intake: Intake, capsys) -> None:
    wd = working_days
    intake.record(
        lc.ComplaintDispatched(
            **common(intake, COORDINATOR, 1, "d"),
            opd="DPUPR",
            rule_id="",
            reason="jalan kota",
            acknowledge_within=wd(1),
            resolve_within=wd(5),
        ),
        "Rina Wulandari",
    )
    intake.record(lc.ComplaintAcknowledged(**common(intake, OFFICER, 2, "a"), opd="DPUPR"), "Agus Prasetyo")
    intake.record(
        lc.ComplaintHandedBack(
            **common(intake, OFFICER, 3, "h"),
            opd="DPUPR",
            reason="jalan provinsi",
            suggested_opd="PROV_JATIM_BINA_MARGA",
            dispatch_within=wd(3),
        ),
        "Agus Prasetyo",
    )
    intake.record(
        lc.OwnerDecided(
            **common(intake, COORDINATOR, 4, "o"),
            opd="DPUPR",
            final=True,
            reason="ruas jalan kota",
            acknowledge_within=wd(1),
            resolve_within=wd(5),
        ),
        "Rina Wulandari",
    )
    intake.record(
        lc.DeadlineBreached(
            **common(intake, CLOCK, 30, "b"), deadline_id="dl-1", stage=Stage.RESOLVE, opd="DPUPR", due_at=at(29)
        )
    )
    intake.record(
        lc.ComplaintEscalated(
            **common(intake, CLOCK, 30.1, "e"),
            level=EscalationLevel.OPD_HEAD,
            reason="resolve late",
            deadline_id="dl-1",
        )
    )
    intake.record(lc.ComplaintRated(**common(intake, CITIZEN, 40, "r"), score=3, comment="lumayan"), "Lapor 112")
    intake.record(
        lc.ComplaintVerified(
            **common(intake, COORDINATOR, 41, "v"), kind=ResolutionKind.SENGKETA, resolve_within=wd(14)
        )
    )
    capsys.readouterr()

    assert main(["--intake", intake.address, "trace", intake.submitted().payload.tracking_number]) == 0

    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["2"].split()[3:7] == ["ComplaintDispatched", "Rina", "Wulandari", "(coordinator)"]
    assert rows["2"].endswith(
        "DPUPR             dispatched to DPUPR: jalan kota;"
        " acknowledge within 1 working days, resolve within 5 working days"
    )
    assert "Agus Prasetyo (officer DPUPR)" in rows["3"] and rows["3"].endswith("acknowledged by DPUPR")
    assert rows["4"].endswith("handed back (Bukan Wewenang): jalan provinsi; suggests PROV_JATIM_BINA_MARGA")
    assert rows["5"].endswith("owner decided: DPUPR (final): ruas jalan kota")
    assert "suara-deadlines (system)" in rows["6"]
    assert rows["6"].endswith("resolve deadline due 2026-11-21 21:00 WIB: BREACHED")
    assert rows["7"].endswith("escalated to opd_head: resolve late (deadline passed)")
    assert "Lapor 112 (integrator)" in rows["8"] and rows["8"].endswith("IKM 3/4: lumayan")
    assert "sub-rina (coordinator)" in rows["9"]  # no display name on the envelope: the subject
    assert rows["9"].endswith("verified as sengketa; resolve within 14 working days")


def test_trace_follow_prints_only_new_events_until_ctrl_c(
    intake: Intake, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 1:
            intake.record(lc.ComplaintAcknowledged(**common(intake, OFFICER, 2, "a"), opd="DPUPR"), "Agus Prasetyo")
        elif len(pauses) == 3:
            intake.record(lc.FollowUpPosted(**common(intake, OFFICER, 3, "f"), opd="DPUPR", text="Survei besok."))
        elif len(pauses) == 4:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "_pause", pause)

    code = main(["--intake", intake.address, "trace", "--follow", "--every", "0.5", intake.submitted().complaint_id])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert pauses == [0.5] * 4
    assert lines[2].split()[0] == "1" and "ComplaintSubmitted" in lines[2]
    assert lines[3] == "(following: new events appear below, every 0.5 s; Ctrl-C stops)"
    assert [line.split()[:4:3] for line in lines[4:]] == [["2", "ComplaintAcknowledged"], ["3", "FollowUpPosted"]]
    assert lines[5].endswith("follow-up: Survei besok.")


def test_trace_follow_rides_out_an_unreachable_intake(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    class Unavailable(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.UNAVAILABLE

    answers: list[Any] = [Unavailable(), Unavailable(), []]

    def fetch() -> list[Any]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def pause(_: float) -> None:
        if not answers:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "_pause", pause)

    assert cli_main._follow(fetch, 0, 1.0) == 0

    assert capsys.readouterr().err == "suara: intake unreachable (UNAVAILABLE); still trying\n"


def test_figures_show_what_piles_up_in_the_officers_opd(casework: Casework, capsys) -> None:
    code = casework.run("figures")

    out = logged_in(capsys)
    assert code == 0
    assert out.splitlines()[0] == "figures of DPUPR"
    assert "median to acknowledge:  5.5 h (over 1)" in out
    assert "median to resolve:      -" in out
    assert "breaches this month:    2" in out


def test_figures_json_is_the_message_for_scripts(casework: Casework, capsys) -> None:
    casework.run("figures", "--json")

    figures = json.loads(logged_in(capsys))
    assert figures["opd"] == "DPUPR"
    assert figures["median_hours_to_acknowledge"] == 5.5
