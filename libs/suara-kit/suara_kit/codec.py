"""The envelope codec: Event <-> the protobuf bytes on the wire; the only place event protobufs are built."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf import message as pb_message
from google.protobuf.timestamp_pb2 import Timestamp

from suara.v1 import events_pb2 as pb
from suara_kit.events import (
    Actor,
    ActorKind,
    CategorySource,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    NotificationOutcome,
    Payload,
    Priority,
    RoutingSuggestion,
    SourceChannel,
    StaffNotified,
)

CURRENT_SCHEMA_VERSION = 1
K = TypeVar("K")


class UndecodableEvent(ValueError):
    """The bytes are not a valid Suara event envelope; the reason names what is wrong."""


# Upcasters turn an envelope of an older schema_version into the next one, in place of the decoder
# having to know every historic shape. Keyed by the version they upgrade *from*. None yet.
Upcaster = Callable[[pb.EventEnvelope], pb.EventEnvelope]
UPCASTERS: dict[int, Upcaster] = {}

_ACTOR_KINDS = {
    ActorKind.CITIZEN: pb.ACTOR_KIND_CITIZEN,
    ActorKind.INTEGRATOR: pb.ACTOR_KIND_INTEGRATOR,
    ActorKind.SERVICE: pb.ACTOR_KIND_SERVICE,
    ActorKind.STAFF: pb.ACTOR_KIND_STAFF,
}
_CHANNELS = {
    SourceChannel.PHONE_112: pb.SOURCE_CHANNEL_PHONE_112,
    SourceChannel.WHATSAPP: pb.SOURCE_CHANNEL_WHATSAPP,
    SourceChannel.INSTAGRAM: pb.SOURCE_CHANNEL_INSTAGRAM,
    SourceChannel.WEB_PORTAL: pb.SOURCE_CHANNEL_WEB_PORTAL,
    SourceChannel.SP4N_LAPOR: pb.SOURCE_CHANNEL_SP4N_LAPOR,
    SourceChannel.SURGA: pb.SOURCE_CHANNEL_SURGA,
    SourceChannel.WALK_IN: pb.SOURCE_CHANNEL_WALK_IN,
}
_PRIORITIES = {
    Priority.DARURAT: pb.PRIORITY_DARURAT,
    Priority.TINGGI: pb.PRIORITY_TINGGI,
    Priority.NORMAL: pb.PRIORITY_NORMAL,
}
_CATEGORY_SOURCES = {
    CategorySource.UNSPECIFIED: pb.CATEGORY_SOURCE_UNSPECIFIED,
    CategorySource.GIVEN: pb.CATEGORY_SOURCE_GIVEN,
    CategorySource.PROPOSED: pb.CATEGORY_SOURCE_PROPOSED,
}
_OUTCOMES = {
    NotificationOutcome.DELIVERED: pb.NOTIFICATION_OUTCOME_DELIVERED,
    NotificationOutcome.FAILED: pb.NOTIFICATION_OUTCOME_FAILED,
}


def channel_to_proto(channel: SourceChannel) -> pb.SourceChannel.ValueType:
    return _CHANNELS[channel]


def channel_from_proto(value: int) -> SourceChannel:
    return _reverse(_CHANNELS, value, "source_channel")


def _reverse(table: Mapping[K, int], value: int, field: str) -> K:
    for key, candidate in table.items():
        if candidate == value:
            return key
    raise UndecodableEvent(f"{field}: unknown value {value!r}")


def _timestamp(moment: datetime) -> Timestamp:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def _moment(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def to_proto(event: Event) -> pb.EventEnvelope:
    envelope = pb.EventEnvelope(
        event_id=event.event_id,
        event_type=event.event_type,
        schema_version=event.schema_version,
        complaint_id=event.complaint_id,
        sequence=event.sequence,
        occurred_at=_timestamp(event.occurred_at),
        actor=pb.Actor(kind=_ACTOR_KINDS[event.actor.kind], id=event.actor.id, display_name=event.actor.display_name),
        correlation_id=event.correlation_id,
        causation_id=event.causation_id,
        producer=event.producer,
    )
    payload = event.payload
    if isinstance(payload, ComplaintSubmitted):
        envelope.complaint_submitted.CopyFrom(
            pb.ComplaintSubmitted(
                tracking_number=payload.tracking_number,
                text=payload.text,
                category=payload.category,
                kelurahan_code=payload.kelurahan_code,
                kelurahan_name=payload.kelurahan_name,
                kecamatan_name=payload.kecamatan_name,
                source_channel=_CHANNELS[payload.source_channel],
                anonymous=payload.anonymous,
                has_reporter_contact=payload.has_reporter_contact,
                idempotency_key=payload.idempotency_key,
            )
        )
    elif isinstance(payload, ComplaintRouted):
        envelope.complaint_routed.CopyFrom(
            pb.ComplaintRouted(
                opd_code=payload.opd_code,
                opd_name=payload.opd_name,
                priority=_PRIORITIES[payload.priority],
                due_at=_timestamp(payload.due_at),
                rule_id=payload.rule_id,
                reason=payload.reason,
                routing_model_version=payload.routing_model_version,
                confidence=payload.confidence,
                alternatives=[
                    pb.RoutingSuggestion(category=a.category, opd_code=a.opd_code, score=a.score)
                    for a in payload.alternatives
                ],
                top_terms=payload.top_terms,
                category=payload.category,
                category_source=_CATEGORY_SOURCES[payload.category_source],
                classifier_category=payload.classifier_category,
                emergency=payload.emergency,
                emergency_kind=payload.emergency_kind,
                responders=payload.responders,
                outside_authority=payload.outside_authority,
                needs_coordinator=payload.needs_coordinator,
                coordinator_desk=payload.coordinator_desk,
                possible_duplicate_of=payload.possible_duplicate_of,
                possible_duplicate_tracking_number=payload.possible_duplicate_tracking_number,
                duplicate_similarity=payload.duplicate_similarity,
                kelurahan_in_text=payload.kelurahan_in_text,
            )
        )
    else:
        envelope.staff_notified.CopyFrom(
            pb.StaffNotified(
                opd_code=payload.opd_code,
                channel=payload.channel,
                recipient=payload.recipient,
                outcome=_OUTCOMES[payload.outcome],
                detail=payload.detail,
            )
        )
    return envelope


def encode(event: Event) -> bytes:
    return to_proto(event).SerializeToString()


def _uuid(value: str, field: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise UndecodableEvent(f"{field}: {value!r} is not a UUID") from None


def from_proto(envelope: pb.EventEnvelope) -> Event:
    version = envelope.schema_version
    while version < CURRENT_SCHEMA_VERSION:
        upcast = UPCASTERS.get(version)
        if upcast is None:
            raise UndecodableEvent(f"schema_version: no upcaster from version {version}")
        envelope = upcast(envelope)
        version = envelope.schema_version
    if version != CURRENT_SCHEMA_VERSION:
        raise UndecodableEvent(
            f"schema_version: {version} is newer than this service understands ({CURRENT_SCHEMA_VERSION})"
        )
    case = envelope.WhichOneof("payload")
    if case is None:
        raise UndecodableEvent("payload: not set")
    if envelope.sequence < 1:
        raise UndecodableEvent("sequence: must be 1 or more")
    if not envelope.HasField("occurred_at"):
        raise UndecodableEvent("occurred_at: not set")
    payload: Payload
    if case == "complaint_submitted":
        s = envelope.complaint_submitted
        payload = ComplaintSubmitted(
            tracking_number=s.tracking_number,
            text=s.text,
            category=s.category,
            kelurahan_code=s.kelurahan_code,
            kelurahan_name=s.kelurahan_name,
            kecamatan_name=s.kecamatan_name,
            source_channel=_reverse(_CHANNELS, s.source_channel, "complaint_submitted.source_channel"),
            anonymous=s.anonymous,
            has_reporter_contact=s.has_reporter_contact,
            idempotency_key=s.idempotency_key,
        )
    elif case == "complaint_routed":
        r = envelope.complaint_routed
        payload = ComplaintRouted(
            opd_code=r.opd_code,
            opd_name=r.opd_name,
            priority=_reverse(_PRIORITIES, r.priority, "complaint_routed.priority"),
            due_at=_moment(r.due_at),
            rule_id=r.rule_id,
            reason=r.reason,
            routing_model_version=r.routing_model_version,
            confidence=r.confidence,
            alternatives=tuple(RoutingSuggestion(a.category, a.opd_code, a.score) for a in r.alternatives),
            top_terms=tuple(r.top_terms),
            category=r.category,
            category_source=_reverse(_CATEGORY_SOURCES, r.category_source, "complaint_routed.category_source"),
            classifier_category=r.classifier_category,
            emergency=r.emergency,
            emergency_kind=r.emergency_kind,
            responders=tuple(r.responders),
            outside_authority=r.outside_authority,
            needs_coordinator=r.needs_coordinator,
            coordinator_desk=r.coordinator_desk,
            possible_duplicate_of=r.possible_duplicate_of,
            possible_duplicate_tracking_number=r.possible_duplicate_tracking_number,
            duplicate_similarity=r.duplicate_similarity,
            kelurahan_in_text=r.kelurahan_in_text,
        )
    else:
        n = envelope.staff_notified
        payload = StaffNotified(
            opd_code=n.opd_code,
            channel=n.channel,
            recipient=n.recipient,
            outcome=_reverse(_OUTCOMES, n.outcome, "staff_notified.outcome"),
            detail=n.detail,
        )
    if envelope.event_type != type(payload).__name__:
        raise UndecodableEvent(f"event_type: {envelope.event_type!r} does not match payload {type(payload).__name__}")
    return Event(
        event_id=_uuid(envelope.event_id, "event_id"),
        complaint_id=_uuid(envelope.complaint_id, "complaint_id"),
        sequence=envelope.sequence,
        occurred_at=_moment(envelope.occurred_at),
        actor=Actor(
            kind=_reverse(_ACTOR_KINDS, envelope.actor.kind, "actor.kind"),
            id=envelope.actor.id,
            display_name=envelope.actor.display_name,
        ),
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        producer=envelope.producer,
        payload=payload,
        schema_version=CURRENT_SCHEMA_VERSION,
    )


def decode(data: bytes) -> Event:
    """Parse and validate an envelope; raises UndecodableEvent naming what is wrong."""
    envelope = pb.EventEnvelope()
    try:
        envelope.ParseFromString(data)
    except pb_message.DecodeError as error:
        raise UndecodableEvent(f"not a protobuf EventEnvelope: {error}") from None
    return from_proto(envelope)
