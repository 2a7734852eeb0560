"""`suara`: submit and trace complaints (operators); export and verify the integrity log (auditors)."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import timedelta, timezone

import grpc

from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_cli import audit, classify, login
from suara_kit.codec import channel_to_proto, from_proto
from suara_kit.events import ComplaintRouted, ComplaintSubmitted, Event, SourceChannel, StaffNotified

WIB = timezone(timedelta(hours=7), "WIB")
CLIENT_METADATA = (("suara-client-id", "suara-cli"),)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suara", description=__doc__)
    parser.add_argument(
        "--intake", default=os.environ.get("SUARA_INTAKE_ADDR", "127.0.0.1:15051"), help="intake gRPC address"
    )
    parser.add_argument(
        "--audit", default=os.environ.get("SUARA_AUDIT_ADDR", "127.0.0.1:15054"), help="audit gRPC address"
    )
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

    audit.add_parsers(commands)
    classify.add_parser(commands)
    login.add_parsers(commands)

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
        return audit.run(args)
    except grpc.RpcError as error:
        print(f"suara: {error.code().name}: {error.details()}", file=sys.stderr)
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
            request, metadata=CLIENT_METADATA, timeout=30
        )
    print(f"complaint_id:    {response.complaint_id}")
    print(f"tracking_number: {response.tracking_number}")
    if response.replayed:
        print("(this idempotency key was used before: nothing new was recorded)")
    return 0


def _trace(args: argparse.Namespace) -> int:
    with grpc.insecure_channel(args.intake) as channel:
        response = complaints_pb2_grpc.ComplaintServiceStub(channel).TraceComplaint(
            complaints_pb2.TraceComplaintRequest(reference=args.reference), metadata=CLIENT_METADATA, timeout=30
        )
    print(f"complaint {response.complaint_id}  tracking number {response.tracking_number}")
    print(f"{'#':>2}  {'time (WIB)':19}  {'event':18}  {'actor':20}  {'OPD':16}  detail")
    for envelope in response.events:
        event = from_proto(envelope)
        opd, detail = _describe(event)
        when = event.occurred_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{event.sequence:>2}  {when:19}  {event.event_type:18}  {event.actor.id[:20]:20}  {opd:16}  {detail}")
        if isinstance(event.payload, ComplaintRouted):
            for line in routing_reason(event.payload):
                print(f"{'':>4}{line}")
    return 0


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
