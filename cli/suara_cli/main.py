"""`suara`: submit and trace complaints (operators); export and verify the integrity log (auditors)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta, timezone
from typing import Any

import grpc

from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_cli import audit, casework, categories, classify, login, replay
from suara_complaint import events as lifecycle
from suara_complaint.actors import Role
from suara_kit.codec import channel_to_proto, from_proto
from suara_kit.events import ComplaintRouted, ComplaintSubmitted, Event, SourceChannel, StaffNotified
from suara_kit.lifecycle_codec import COMMON_FIELDS

WIB = timezone(timedelta(hours=7), "WIB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suara", description=__doc__)
    parser.add_argument(
        "--intake", default=os.environ.get("SUARA_INTAKE_ADDR", "127.0.0.1:15051"), help="intake gRPC address"
    )
    parser.add_argument(
        "--audit", default=os.environ.get("SUARA_AUDIT_ADDR", "127.0.0.1:15054"), help="audit gRPC address"
    )
    casework.add_global_option(parser, os.environ.get("SUARA_CASEWORK_ADDR", casework.DEFAULT_ADDRESS))
    commands = parser.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit", help="submit a complaint")
    submit.add_argument("--text", required=True)
    submit.add_argument(
        "--category", default="", help="category code, e.g. jalan_rusak (leave out: the router proposes one)"
    )
    submit.add_argument(
        "--kelurahan", default="", help="kelurahan name or Kemendagri code (optional: the router reads the text)"
    )
    submit.add_argument("--channel", default="walk_in", choices=[c.value for c in SourceChannel])
    submit.add_argument("--key", help="idempotency key (default: a new random one)")
    submit.add_argument("--anonymous", action="store_true")
    submit.add_argument("--name", default="")
    submit.add_argument("--phone", default="")
    submit.add_argument("--email", default="")

    trace = commands.add_parser("trace", help="what happened to a complaint, event by event")
    trace.add_argument("reference", metavar="ID-OR-TRACKING-NUMBER")
    trace.add_argument("--follow", action="store_true", help="keep printing new events until Ctrl-C")
    trace.add_argument("--every", type=float, default=1.0, metavar="SECONDS", help="with --follow: how often to look")

    audit.add_parsers(commands)
    classify.add_parser(commands)
    login.add_parsers(commands)
    replay.add_parser(commands)
    casework.add_parsers(commands)
    categories.add_parser(commands)

    args = parser.parse_args(argv)
    try:
        if args.command == "submit":
            return _submit(args)
        if args.command == "trace":
            return _trace(args)
        if args.command == "classify":
            return classify.run(args)
        if args.command in login.COMMANDS:
            return login.run(args)
        if args.command == "replay":
            return replay.run(args)
        if args.command in casework.NAMES:
            return casework.run(args)
        if args.command == "categories":
            return categories.run(args)
        return audit.run(args)
    except login.LoginRequired as error:
        print(f"suara: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `suara queue | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except grpc.RpcError as error:
        print(f"suara: {error.code().name}: {error.details()}", file=sys.stderr)
        advice = login.explain(error)
        if advice:
            print(f"  {advice}", file=sys.stderr)
        return 1


def _submit(args: argparse.Namespace) -> int:
    reporter = None
    if args.name or args.phone or args.email:
        reporter = complaints_pb2.ReporterContact(name=args.name, phone=args.phone, email=args.email)
    request = complaints_pb2.SubmitComplaintRequest(
        idempotency_key=args.key or f"cli-{uuid.uuid4()}",
        text=args.text,
        category=args.category,
        kelurahan=args.kelurahan,
        anonymous=args.anonymous,
        source_channel=channel_to_proto(SourceChannel(args.channel)),
        reporter=reporter,
    )
    with grpc.insecure_channel(args.intake) as channel:
        response = complaints_pb2_grpc.ComplaintServiceStub(channel).SubmitComplaint(
            request, metadata=login.bearer_metadata(), timeout=30
        )
    print(f"complaint_id:    {response.complaint_id}")
    print(f"tracking_number: {response.tracking_number}")
    if response.replayed:
        print("(this idempotency key was used before: nothing new was recorded)")
    return 0


def _trace(args: argparse.Namespace) -> int:
    metadata = login.bearer_metadata()
    with grpc.insecure_channel(args.intake) as channel:
        stub = complaints_pb2_grpc.ComplaintServiceStub(channel)
        request = complaints_pb2.TraceComplaintRequest(reference=args.reference)
        response = stub.TraceComplaint(request, metadata=metadata, timeout=30)
        print(f"complaint {response.complaint_id}  tracking number {response.tracking_number}")
        print(f"{'#':>2}  {'time (WIB)':19}  {'event':24}  {'actor':32}  {'OPD':16}  detail")
        last = _print_events(response.events, 0)
        if not args.follow:
            return 0
        request = complaints_pb2.TraceComplaintRequest(reference=response.complaint_id)
        return _follow(lambda: stub.TraceComplaint(request, metadata=metadata, timeout=30).events, last, args.every)


# How `suara trace --follow` waits between looks (a module attribute so a test can stop the loop).
_pause: Callable[[float], None] = time.sleep


def _follow(fetch: Callable[[], Iterable[Any]], last: int, every: float) -> int:
    """Print each new event as it appears, until Ctrl-C; an unreachable intake is said once and retried."""
    print(f"(following: new events appear below, every {every:g} s; Ctrl-C stops)", flush=True)
    unreachable = False
    try:
        while True:
            _pause(every)
            try:
                envelopes = fetch()
            except grpc.RpcError as error:
                if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise
                if not unreachable:
                    print(f"suara: intake unreachable ({error.code().name}); still trying", file=sys.stderr)
                unreachable = True
                continue
            unreachable = False
            last = _print_events(envelopes, last)
    except KeyboardInterrupt:
        return 0


def _print_events(envelopes: Iterable[Any], after: int) -> int:
    """Print the events past sequence `after`; returns the last sequence printed."""
    for envelope in envelopes:
        event = from_proto(envelope)
        if event.sequence <= after:
            continue
        opd, detail = _describe(event)
        when = event.occurred_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")
        name = type(event.payload).__name__
        print(f"{event.sequence:>2}  {when:19}  {name:24}  {_actor(event):32}  {opd:16}  {detail}", flush=True)
        if isinstance(event.payload, ComplaintRouted):
            for line in routing_reason(event.payload):
                print(f"{'':>4}{line}")
        after = event.sequence
    return after


_ROLE_NAMES = {
    Role.COORDINATOR: "coordinator",
    Role.OPD_OFFICER: "officer",
    Role.OPD_HEAD: "head",
    Role.INTEGRATOR: "integrator",
    Role.SYSTEM: "system",
    Role.AUDITOR: "auditor",
}


def _actor(event: Event) -> str:
    """Who acted: the display name the envelope carries (else the subject), with the role and OPD of a lifecycle
    event's actor: 'Agus Prasetyo (officer DPUPR)'."""
    name = event.actor.display_name or event.actor.id
    if not isinstance(event.payload, lifecycle.Event):
        return name
    actor = event.payload.actor
    role = " ".join(part for part in (_ROLE_NAMES.get(actor.role, actor.role.value), actor.opd or "") if part)
    return f"{name} ({role})"


def routing_reason(routed: ComplaintRouted) -> list[str]:
    """Why the model routed as it did, in at most two lines: its reading, then the flags that matter."""
    if not routed.routing_model_version:
        return []  # routed before the router read the text
    alternatives = ", ".join(f"{a.category}>{a.opd_code} {a.score:.2f}" for a in routed.alternatives)
    reading = (
        f"model {routed.routing_model_version}: {routed.category} ({routed.category_source.value}),"
        f" confidence {routed.confidence:.2f}; top-3 {alternatives}"
    )
    if routed.top_terms:
        reading += f"; words: {', '.join(routed.top_terms)}"
    flags = []
    if routed.classifier_category:
        flags.append(f"classifier says {routed.classifier_category}")
    if routed.emergency:
        if routed.responders:
            flags.append(f"EMERGENCY {routed.emergency_kind}: responders {', '.join(routed.responders)}")
        else:
            flags.append("POSSIBLE EMERGENCY (the model's score alone): the desk checks at once")
    if routed.outside_authority:
        flags.append(f"OUTSIDE authority {routed.outside_authority}")
    if routed.needs_coordinator:
        flags.append(f"on the coordinator's desk ({routed.coordinator_desk})")
    if routed.possible_duplicate_of:
        reference = routed.possible_duplicate_tracking_number or routed.possible_duplicate_of
        flags.append(f"possible duplicate of {reference} (similarity {routed.duplicate_similarity:.2f})")
    return [reading, " | ".join(flags)] if flags else [reading]


def _describe(event: Event) -> tuple[str, str]:
    p = event.payload
    if isinstance(p, lifecycle.Event):
        return _describe_lifecycle(p)
    if isinstance(p, ComplaintSubmitted):
        text = p.text if len(p.text) <= 70 else p.text[:67] + "..."
        category = p.category or "no category"
        where = f"Kel. {p.kelurahan_name}" if p.kelurahan_name else "kelurahan not given"
        return "", f"[{category}] {where} via {p.source_channel.value}: {text}"
    if isinstance(p, ComplaintRouted):
        due = p.due_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M")
        return p.opd_code, f"priority {p.priority.value}, due {due} WIB; {p.rule_id}: {p.reason}"
    assert isinstance(p, StaffNotified)
    return p.opd_code, f"{p.channel} to {p.recipient}: {p.outcome.value} ({p.detail})"


def _when(moment: Any) -> str:
    return f"{moment.astimezone(WIB).strftime('%Y-%m-%d %H:%M')} WIB"


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _then(text: str, prefix: str = ": ") -> str:
    return f"{prefix}{text}" if text else ""


# The meaningful fields of each lifecycle event, as one line (the OPD goes in its own column).
_LIFECYCLE_DETAILS: dict[type[lifecycle.Event], Callable[[Any], str]] = {
    lifecycle.ComplaintSubmitted: lambda e: (
        f"[{e.category or 'no category'}] priority {e.priority.value} via {e.source_channel}: {_short(e.text)}"
    ),
    lifecycle.ComplaintVerified: lambda e: f"verified as {e.kind.value}; resolve within {e.resolve_within}",
    lifecycle.ComplaintDispatched: lambda e: (
        f"dispatched to {e.opd}{_then(e.rule_id, ' by rule ')}{_then(e.reason)};"
        f" acknowledge within {e.acknowledge_within}, resolve within {e.resolve_within}"
    ),
    lifecycle.OwnerDecided: lambda e: (
        f"owner decided: {e.opd} ({'final' if e.final else 'not final: may still hand back'}){_then(e.reason)}"
    ),
    lifecycle.InfoRequested: lambda e: f"asked the citizen: {e.question} (clock paused)",
    lifecycle.ComplaintMarkedDuplicate: lambda e: f"duplicate of {e.duplicate_of}{_then(e.reason)}",
    lifecycle.ComplaintArchived: lambda e: f"archived: {e.reason}",
    lifecycle.ComplaintEscalated: lambda e: (
        f"escalated to {e.level.value}{_then(e.reason)}{' (deadline passed)' if e.deadline_id else ''}"
    ),
    lifecycle.ComplaintAcknowledged: lambda e: f"acknowledged by {e.opd}",
    lifecycle.OfficerAssigned: lambda e: f"assigned to {e.officer}",
    lifecycle.FollowUpPosted: lambda e: f"follow-up: {e.text}",
    lifecycle.ComplaintHandedBack: lambda e: (
        f"handed back (Bukan Wewenang): {e.reason}{_then(e.suggested_opd, '; suggests ')}"
    ),
    lifecycle.HandBackCapReached: lambda e: f"hand-back {e.hand_backs} of {e.cap}: the coordinator decides the owner",
    lifecycle.ComplaintResolved: lambda e: (
        f"resolved: {e.resolution}; closes by itself after {e.auto_close_within} without the citizen's reply"
    ),
    lifecycle.InfoAdded: lambda e: f"the citizen added: {e.text}",
    lifecycle.ResolutionConfirmed: lambda e: "the citizen confirmed the resolution",
    lifecycle.ComplaintReopened: lambda e: f"reopened to {e.opd}: {e.reason}",
    lifecycle.ComplaintRated: lambda e: f"IKM {e.score}/4{_then(e.comment)}",
    lifecycle.ComplaintAutoClosed: lambda e: "closed by itself: no reply from the citizen in time",
    lifecycle.DeadlineWarned: lambda e: f"{e.stage.value} deadline due {_when(e.due_at)}: warning",
    lifecycle.DeadlineBreached: lambda e: f"{e.stage.value} deadline due {_when(e.due_at)}: BREACHED",
    lifecycle.StaffNotified: lambda e: f"{e.channel} to {e.recipient}: {e.outcome} ({e.detail})",
}


def _describe_lifecycle(change: lifecycle.Event) -> tuple[str, str]:
    """The OPD the event concerns and its meaningful fields; a type this code does not know yet shows every field."""
    opd = str(getattr(change, "opd", "") or "")
    describe = _LIFECYCLE_DETAILS.get(type(change))
    if describe is not None:
        return opd, describe(change)
    fields = {k: v for k, v in vars(change).items() if k not in COMMON_FIELDS}
    return opd, ", ".join(f"{k} {v}" for k, v in fields.items())
