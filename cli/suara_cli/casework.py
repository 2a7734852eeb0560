"""The commands of the people who work the queue (`suara queue`, `show`, `ack`, `hand-back`, `resolve`, `dispatch`,
`decide`, `reopen`, `rate` ...), against CaseworkService (protos/suara/v1/casework.proto).

Every call sends the token `suara login` stored. Every command reads the complaint first (REF is its id or its
tracking number) and sends the version it saw, so a person acting on what they just saw is told when it changed
meanwhile; it sends an idempotency key (`--key`, default a new one, printed with the result), so running the same
command again with the same key never records it twice. Tables by default, `--json` for scripts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TextIO

import grpc
from google.protobuf import message as pb_message
from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from suara.v1 import casework_pb2 as cw
from suara.v1 import casework_pb2_grpc
from suara_cli import login
from suara_complaint.policy import EscalationLevel, ResolutionKind

DEFAULT_ADDRESS = "127.0.0.1:15055"
CLIENT_METADATA = (("suara-client-id", "suara-cli"),)
TIMEOUT_SECONDS = 30.0
WIB = timezone(timedelta(hours=7), "WIB")
# Exit codes: 1 refused (the message says why), 2 bad usage (argparse), 75 (EX_TEMPFAIL) try again with the same key.
EXIT_REFUSED = 1
EXIT_RETRY = 75
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_VERSION_IN_MESSAGE = re.compile(r"version\D{0,3}(\d+)")
# Adds a command's own arguments to its parser.
Adder = Callable[[argparse.ArgumentParser], object]


# --- the commands ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One lifecycle command: its CLI name, the RPC it calls, its own arguments and how they fill the request."""

    name: str
    rpc: str
    help: str
    done: str  # what the result line says happened: "acknowledged"
    arguments: Adder
    request: Callable[[cw.CommandHeader, argparse.Namespace, Session], pb_message.Message]


def _none(_: argparse.ArgumentParser) -> None:
    pass


def _header_only(header: cw.CommandHeader, _: argparse.Namespace, __: Session) -> pb_message.Message:
    return header


def _text(name: str, help_text: str) -> Adder:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(name, help=help_text)

    return add


def _reason(required: bool, help_text: str = "why (recorded on the event)") -> Adder:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--reason", required=required, default="", help=help_text)

    return add


def _both(*adders: Adder) -> Adder:
    def add(parser: argparse.ArgumentParser) -> None:
        for adder in adders:
            adder(parser)

    return add


def _hand_back_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="why it is not your OPD's (Bukan Wewenang)")
    parser.add_argument("--suggest", default="", metavar="OPD", help="the OPD you think it belongs to")


def _rate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("score", type=int, choices=range(1, 5), metavar="SCORE", help="IKM 1 (tidak baik) to 4")
    parser.add_argument("--comment", default="", help="the citizen's comment")


def _opd_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("opd", metavar="OPD", type=str.upper, help="agency code, e.g. DPUPR (`suara categories`)")


COMMANDS: tuple[Command, ...] = (
    # --- coordinator ---
    Command(
        "verify",
        "Verify",
        "verify a complaint (coordinator); its kind sets the resolution deadline",
        "verified",
        lambda p: p.add_argument(
            "--kind", default=ResolutionKind.PENGADUAN.value, choices=[k.value for k in ResolutionKind]
        ),
        lambda h, a, _: cw.VerifyRequest(header=h, kind=a.kind),
    ),
    Command(
        "request-info",
        "RequestInfo",
        "ask the citizen a question (coordinator); the clock pauses until they answer",
        "asked the citizen about",
        _text("question", "the question, as the citizen will read it"),
        lambda h, a, _: cw.RequestInfoRequest(header=h, question=a.question),
    ),
    Command(
        "dispatch",
        "Dispatch",
        "dispatch a complaint to an OPD (coordinator)",
        "dispatched",
        _both(_opd_argument, _reason(False)),
        lambda h, a, _: cw.DispatchRequest(header=h, opd=a.opd, reason=a.reason),
    ),
    Command(
        "redispatch",
        "Redispatch",
        "send a complaint to another OPD (coordinator)",
        "redispatched",
        _both(_opd_argument, _reason(True)),
        lambda h, a, _: cw.DispatchRequest(header=h, opd=a.opd, reason=a.reason),
    ),
    Command(
        "decide",
        "DecideOwner",
        "decide which OPD owns a complaint (coordinator); final unless --not-final",
        "decided the owner of",
        _both(
            _opd_argument,
            _reason(True),
            lambda p: p.add_argument(
                "--not-final", action="store_true", help="the OPD may still hand it back (default: it may not)"
            ),
        ),
        lambda h, a, _: cw.DecideOwnerRequest(header=h, opd=a.opd, reason=a.reason, final=not a.not_final),
    ),
    Command(
        "archive",
        "Archive",
        "archive a report that is not a complaint, e.g. spam (coordinator)",
        "archived",
        _reason(True),
        lambda h, a, _: cw.ReasonRequest(header=h, reason=a.reason),
    ),
    Command(
        "duplicate",
        "MarkDuplicate",
        "mark a complaint as a duplicate of another (coordinator)",
        "marked as duplicate",
        _both(_text("of", "the complaint it duplicates (id or tracking number)"), _reason(False)),
        lambda h, a, s: cw.MarkDuplicateRequest(header=h, duplicate_of=s.complaint_id(a.of), reason=a.reason),
    ),
    Command(
        "escalate",
        "Escalate",
        "escalate a complaint (coordinator)",
        "escalated",
        _both(
            _reason(True),
            lambda p: p.add_argument(
                "--level", default=EscalationLevel.SEKDA.value, choices=[v.value for v in EscalationLevel]
            ),
        ),
        lambda h, a, _: cw.EscalateRequest(header=h, reason=a.reason, level=a.level),
    ),
    # --- OPD officer and head ---
    Command("ack", "Acknowledge", "acknowledge a complaint (OPD)", "acknowledged", _none, _header_only),
    Command(
        "assign",
        "Assign",
        "assign a complaint to an officer of your OPD",
        "assigned",
        _text("officer", "the officer (username or subject)"),
        lambda h, a, _: cw.AssignRequest(header=h, officer=a.officer),
    ),
    Command(
        "follow-up",
        "PostFollowUp",
        "post a follow-up (tindak lanjut), visible to the citizen",
        "posted a follow-up on",
        _text("text", "the follow-up, as the citizen will read it"),
        lambda h, a, _: cw.TextRequest(header=h, text=a.text),
    ),
    Command(
        "hand-back",
        "HandBack",
        "hand a complaint back: not your OPD's (Bukan Wewenang)",
        "handed back",
        _hand_back_arguments,
        lambda h, a, _: cw.HandBackRequest(header=h, reason=a.reason, suggested_opd=a.suggest.upper()),
    ),
    Command(
        "resolve",
        "Resolve",
        "resolve a complaint, saying what was done",
        "resolved",
        _text("text", "the resolution, as the citizen will read it"),
        lambda h, a, _: cw.TextRequest(header=h, text=a.text),
    ),
    # --- the citizen, through the integrator that submitted the complaint ---
    Command(
        "add-info",
        "AddInfo",
        "add the citizen's information (integrator)",
        "added information to",
        _text("text", "what the citizen adds"),
        lambda h, a, _: cw.TextRequest(header=h, text=a.text),
    ),
    Command(
        "confirm",
        "ConfirmResolved",
        "the citizen confirms it is resolved (integrator)",
        "confirmed",
        _none,
        _header_only,
    ),
    Command(
        "reopen",
        "Reopen",
        "the citizen reopens a resolved complaint (integrator; within 10 working days)",
        "reopened",
        _reason(True, "why the citizen is not satisfied"),
        lambda h, a, _: cw.ReasonRequest(header=h, reason=a.reason),
    ),
    Command(
        "rate",
        "Rate",
        "the citizen rates the service, IKM 1-4 (integrator)",
        "rated",
        _rate_arguments,
        lambda h, a, _: cw.RateRequest(header=h, score=a.score, comment=a.comment),
    ),
)
COMMANDS_BY_NAME = {c.name: c for c in COMMANDS}
QUERIES = ("queue", "overdue", "desk", "show", "figures")
NAMES = frozenset((*QUERIES, *COMMANDS_BY_NAME))


def add_global_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--casework", default=default, metavar="ADDR", help="casework gRPC address")


def add_parsers(commands: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="one JSON object on stdout, for scripts")
    paged = argparse.ArgumentParser(add_help=False, parents=[common])
    paged.add_argument("--page-size", type=_positive, default=50, metavar="N")
    paged.add_argument("--page-token", default="", metavar="TOKEN", help="the next page (printed under the table)")

    queue = commands.add_parser("queue", parents=[paged], help="an OPD's open complaints, soonest due first")
    queue.add_argument(
        "--opd", type=str.upper, default="", help="OPD code (default: your own; the coordinator names one)"
    )
    overdue = commands.add_parser("overdue", parents=[paged], help="complaints past a deadline")
    overdue.add_argument("--opd", type=str.upper, default="", help="OPD code (default: yours, or city-wide)")
    commands.add_parser(
        "desk", parents=[paged], help="the coordinator's desk: unverified, returned, capped, possible duplicates"
    )
    figures = commands.add_parser(
        "figures", parents=[common], help="what piles up: open complaints by status, median times, breaches"
    )
    figures.add_argument("--opd", type=str.upper, default="", help="OPD code (default: yours, or city-wide)")
    show = commands.add_parser("show", parents=[common], help="one complaint's status, owner and deadlines")
    show.add_argument("reference", metavar="REF", help="complaint id or tracking number")

    acting = argparse.ArgumentParser(add_help=False, parents=[common])
    acting.add_argument("reference", metavar="REF", help="complaint id or tracking number")
    acting.add_argument(
        "--key", default="", help="idempotency key (default: a new one, printed; reuse it to retry safely)"
    )
    acting.add_argument(
        "--expected-version",
        type=_non_negative,
        default=None,
        metavar="N",
        help="the version you saw (default: the complaint is read first; 0 = do not check)",
    )
    for command in COMMANDS:
        parser = commands.add_parser(command.name, parents=[acting], help=command.help, description=command.help)
        command.arguments(parser)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


# --- running ---------------------------------------------------------------------------------------------------------


class Session:
    """The stub, the caller's token and how results are printed, for one invocation."""

    def __init__(self, stub: casework_pb2_grpc.CaseworkServiceStub, metadata: Sequence[tuple[str, str]]) -> None:
        self.stub = stub
        self.metadata = tuple(metadata)

    def get(self, reference: str) -> cw.ComplaintView:
        view: cw.ComplaintView = self.stub.GetComplaint(
            cw.GetComplaintRequest(reference=reference), metadata=self.metadata, timeout=TIMEOUT_SECONDS
        )
        return view

    def complaint_id(self, reference: str) -> str:
        return reference.lower() if _UUID.match(reference) else self.get(reference).complaint_id


@dataclass
class _Attempt:
    """What the error advice needs to know about the call that failed."""

    reference: str = ""
    key: str = ""
    sent_version: int | None = None


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr  # read at call time (tests capture them)
    attempt = _Attempt(reference=getattr(args, "reference", ""))
    try:
        metadata = login.bearer_metadata(CLIENT_METADATA)
    except login.LoginRequired as error:
        print(f"suara: {error}", file=err)
        return EXIT_REFUSED
    with grpc.insecure_channel(args.casework) as channel:
        session = Session(casework_pb2_grpc.CaseworkServiceStub(channel), metadata)
        try:
            if args.command == "show":
                return _show(session, args, out)
            if args.command == "figures":
                return _figures(session, args, out)
            if args.command in QUERIES:
                return _list(session, args, out)
            return _execute(session, COMMANDS_BY_NAME[args.command], args, attempt, out)
        except grpc.RpcError as error:
            return _refused(error, session, args, attempt, out, err)


def _execute(session: Session, command: Command, args: argparse.Namespace, attempt: _Attempt, out: TextIO) -> int:
    attempt.key = args.key or f"cli-{uuid.uuid4()}"
    tracking_number = ""
    if args.expected_version is not None and _UUID.match(args.reference):
        complaint_id, expected = args.reference.lower(), args.expected_version
    else:
        view = session.get(args.reference)
        complaint_id, tracking_number = view.complaint_id, view.tracking_number
        expected = view.version if args.expected_version is None else args.expected_version
    attempt.sent_version = expected
    header = cw.CommandHeader(complaint_id=complaint_id, expected_version=expected, idempotency_key=attempt.key)
    request = command.request(header, args, session)
    reply: cw.CommandReply = getattr(session.stub, command.rpc)(
        request, metadata=session.metadata, timeout=TIMEOUT_SECONDS
    )
    recorded = bool(reply.event_types)
    if args.json:
        _json(
            out,
            {
                "command": command.name,
                "complaint_id": reply.complaint_id,
                "tracking_number": tracking_number,
                "version": reply.version,
                "status": reply.status,
                "recorded": recorded,
                "event_types": list(reply.event_types),
                "event_ids": list(reply.event_ids),
                "idempotency_key": attempt.key,
            },
        )
        return 0
    name = tracking_number or reply.complaint_id
    print(f"{command.done} {name}: status {reply.status}, version {reply.version}", file=out)
    if recorded:
        print(f"  recorded: {', '.join(reply.event_types)}", file=out)
    else:
        print("  nothing new recorded: this key was used before (the command had already been done)", file=out)
    print(f"  key: {attempt.key}  (the same command with this --key is never recorded twice)", file=out)
    return 0


# --- errors: what to do next -----------------------------------------------------------------------------------------


def _refused(
    error: grpc.RpcError, session: Session, args: argparse.Namespace, attempt: _Attempt, out: TextIO, err: TextIO
) -> int:
    code = error.code()
    details = error.details() or ""
    current: int | None = None
    if code is grpc.StatusCode.ABORTED:
        current = _current_version(details, session, attempt)
        now = f"now version {current}" if current is not None else "its version is newer than the one you saw"
        advice = f"the complaint changed ({now}): run `suara show {attempt.reference}` and try again"
    elif code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        advice = login.explain(error)
    elif code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        again = f" with --key {attempt.key}" if attempt.key else ""
        advice = (
            f"retry{again} (`--casework` is {args.casework}): the same command with the same --key is never"
            " recorded twice"
        )
    elif code is grpc.StatusCode.NOT_FOUND:
        advice = "check the complaint id or tracking number (`suara queue` lists your OPD's complaints)"
    elif code is grpc.StatusCode.FAILED_PRECONDITION and attempt.reference:
        advice = f"`suara show {attempt.reference}` shows its status and owner"
    else:
        advice = ""
    print(f"suara: {code.name}: {details}", file=err)
    if advice:
        print(f"  {advice}", file=err)
    if getattr(args, "json", False):
        failure: dict[str, Any] = {"code": code.name, "message": details, "advice": advice}
        if current is not None:
            failure["current_version"] = current
        if attempt.key:
            failure["idempotency_key"] = attempt.key
        _json(out, {"error": failure})
    retry = code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    return EXIT_RETRY if retry else EXIT_REFUSED


def _current_version(details: str, session: Session, attempt: _Attempt) -> int | None:
    """The version the complaint is at: the last one the server's message names (ABORTED names it), else read."""
    named = [int(n) for n in _VERSION_IN_MESSAGE.findall(details)]
    named = [n for n in named if n != attempt.sent_version] or named
    if named:
        return named[-1]
    try:
        return session.get(attempt.reference).version
    except grpc.RpcError:
        return None


# --- queries ---------------------------------------------------------------------------------------------------------


def _list(session: Session, args: argparse.Namespace, out: TextIO) -> int:
    page = {"page_size": args.page_size, "page_token": args.page_token}
    if args.command == "queue":
        response = session.stub.ListQueue(
            cw.ListQueueRequest(opd=args.opd, **page), metadata=session.metadata, timeout=TIMEOUT_SECONDS
        )
        title = f"{args.opd or 'your OPD'}'s queue"
    elif args.command == "overdue":
        response = session.stub.ListOverdue(
            cw.ListOverdueRequest(opd=args.opd, **page), metadata=session.metadata, timeout=TIMEOUT_SECONDS
        )
        title = f"overdue in {args.opd}" if args.opd else "overdue (your OPD, or city-wide for the coordinator)"
    else:
        response = session.stub.ListDesk(cw.ListDeskRequest(**page), metadata=session.metadata, timeout=TIMEOUT_SECONDS)
        title = "the coordinator's desk"
    if args.json:
        _json(
            out,
            {
                "complaints": [view_to_json(v) for v in response.complaints],
                "next_page_token": response.next_page_token,
            },
        )
        return 0
    if not response.complaints:
        print(f"{title}: no complaints", file=out)
    else:
        print(f"{title}: {len(response.complaints)} complaint(s)", file=out)
        rows = [_row(v, desk=args.command == "desk") for v in response.complaints]
        for line in _table(LIST_COLUMNS, rows):
            print(line, file=out)
    if response.next_page_token:
        print(f"more: the same command with --page-token {response.next_page_token}", file=out)
    return 0


LIST_COLUMNS = ("tracking number", "status", "priority", "category", "OPD", "officer", "due (WIB)", "notes")


def _row(view: cw.ComplaintView, desk: bool) -> tuple[str, ...]:
    reason = view.desk_reason if desk else ""
    flags = (
        ("OVERDUE", view.overdue, "overdue"),
        ("EMERGENCY", view.emergency, "emergency"),
        (f"{view.hand_backs} hand-back(s)", view.hand_backs, "hand-back"),
        (f"possible duplicate of {view.possible_duplicate_of}", view.possible_duplicate_of, "duplicate"),
        (f"outside authority: {view.outside_authority}", view.outside_authority, "outside"),
        (f"escalated to {view.escalation}", view.escalation, "escalat"),
    )
    # On the desk the reason already names some flags: say each thing once.
    notes = [reason] if reason else []
    notes += [text for text, present, word in flags if present and word not in reason.lower()]
    due = wib(view.next_due_at) if view.HasField("next_due_at") else "-"
    return (
        view.tracking_number or view.complaint_id,
        view.status,
        view.priority or "-",
        view.category or "-",
        view.opd or "-",
        view.officer or "-",
        due,
        "; ".join(notes),
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *rows)
    ]


def _figures(session: Session, args: argparse.Namespace, out: TextIO) -> int:
    figures: cw.OpdFigures = session.stub.GetFigures(
        cw.GetFiguresRequest(opd=args.opd), metadata=session.metadata, timeout=TIMEOUT_SECONDS
    )
    if args.json:
        _json(out, MessageToDict(figures, preserving_proto_field_name=True))
        return 0
    print(f"figures of {figures.opd or 'the whole city'}", file=out)
    open_total = sum(figures.open_by_status.values())
    by_status = ", ".join(f"{status} {count}" for status, count in sorted(figures.open_by_status.items()))
    print(f"  open:                   {open_total}" + (f" ({by_status})" if by_status else ""), file=out)

    def median(present: bool, hours: float, count: int) -> str:
        return f"{hours:.1f} h (over {count})" if present else "-"

    ack = median(
        figures.HasField("median_hours_to_acknowledge"), figures.median_hours_to_acknowledge, figures.acknowledged
    )
    res = median(figures.HasField("median_hours_to_resolve"), figures.median_hours_to_resolve, figures.resolved)
    print(f"  median to acknowledge:  {ack}", file=out)
    print(f"  median to resolve:      {res}", file=out)
    print(f"  breaches this month:    {figures.breaches_this_month}", file=out)
    return 0


def _show(session: Session, args: argparse.Namespace, out: TextIO) -> int:
    view = session.get(args.reference)
    if args.json:
        _json(out, view_to_json(view))
        return 0
    for line in describe_view(view):
        print(line, file=out)
    return 0


def describe_view(view: cw.ComplaintView) -> list[str]:
    """`suara show`: the complaint's state as a person reads it; lines only for what is set."""
    lines = [f"{view.tracking_number or view.complaint_id}  (complaint {view.complaint_id})"]

    def field(label: str, value: str) -> None:
        if value:
            lines.append(f"  {label + ':':16}{value}")

    field("status", f"{view.status}  (version {view.version}: --expected-version {view.version})")
    field("category", ", ".join(p for p in (view.category, f"priority {view.priority}" if view.priority else "") if p))
    field("OPD", view.opd)
    field("officer", view.officer)
    field("kelurahan", view.kelurahan_code)
    field("submitted", wib(view.submitted_at) + " WIB" if view.HasField("submitted_at") else "")
    field("updated", wib(view.updated_at) + " WIB" if view.HasField("updated_at") else "")
    if view.HasField("next_due_at"):
        field("next due", wib(view.next_due_at) + " WIB" + ("  OVERDUE" if view.overdue else ""))
    field("emergency", "yes" if view.emergency else "")
    if view.hand_backs:
        field("hand-backs", f"{view.hand_backs} (by {', '.join(view.handed_back_by) or '?'})")
    if view.decided_owner:
        field("owner decided", f"{view.decided_owner} ({'final' if view.owner_final else 'not final'})")
    field("escalated to", view.escalation)
    field("duplicate of", view.duplicate_of)
    field("possible dup.", view.possible_duplicate_of)
    field("outside auth.", view.outside_authority)
    field("desk", view.desk_reason)
    field("resolution", view.resolution)
    field("rating", f"{view.rating}/4" if view.rating else "")
    if view.deadlines:
        lines.append("  deadlines:")
        rows = [_deadline_row(d) for d in view.deadlines]
        lines.extend(f"    {line}" for line in _table(("stage", "OPD", "due (WIB)", "state"), rows))
    return lines


def _deadline_row(deadline: cw.DeadlineView) -> tuple[str, ...]:
    if deadline.paused_seconds_left:
        due = f"paused, {_duration(deadline.paused_seconds_left)} left"
    else:
        due = wib(deadline.due_at) if deadline.HasField("due_at") else "-"
    state = "breached" if deadline.breached else "warned" if deadline.warned else "open"
    return (deadline.stage, deadline.opd or "-", due, state)


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or f"{seconds} s"


# --- rendering -------------------------------------------------------------------------------------------------------


def moment(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def wib(value: Timestamp) -> str:
    return moment(value).astimezone(WIB).strftime("%Y-%m-%d %H:%M")


def _iso(view: pb_message.Message, name: str) -> str | None:
    if not view.HasField(name):
        return None
    value: Timestamp = getattr(view, name)
    return moment(value).isoformat().replace("+00:00", "Z")


def view_to_json(view: cw.ComplaintView) -> dict[str, Any]:
    """A ComplaintView as JSON for scripts: every field under its proto name, numbers as numbers, times as ISO 8601
    UTC (null when unset)."""
    return {
        "complaint_id": view.complaint_id,
        "tracking_number": view.tracking_number,
        "version": view.version,
        "status": view.status,
        "category": view.category,
        "priority": view.priority,
        "opd": view.opd,
        "officer": view.officer,
        "kelurahan_code": view.kelurahan_code,
        "submitted_at": _iso(view, "submitted_at"),
        "updated_at": _iso(view, "updated_at"),
        "next_due_at": _iso(view, "next_due_at"),
        "deadlines": [
            {
                "deadline_id": d.deadline_id,
                "stage": d.stage,
                "opd": d.opd,
                "due_at": _iso(d, "due_at"),
                "warned": d.warned,
                "breached": d.breached,
                "paused_seconds_left": d.paused_seconds_left,
            }
            for d in view.deadlines
        ],
        "handed_back_by": list(view.handed_back_by),
        "hand_backs": view.hand_backs,
        "decided_owner": view.decided_owner,
        "owner_final": view.owner_final,
        "escalation": view.escalation,
        "duplicate_of": view.duplicate_of,
        "possible_duplicate_of": view.possible_duplicate_of,
        "outside_authority": view.outside_authority,
        "emergency": view.emergency,
        "overdue": view.overdue,
        "rating": view.rating,
        "resolution": view.resolution,
        "desk_reason": view.desk_reason,
    }


def _json(out: TextIO, value: Any) -> None:
    out.write(json.dumps(value, ensure_ascii=False) + "\n")
