"""The envelope codec: Event <-> the protobuf bytes on the wire. The one envelope builder, the registry of every
event type (the walking skeleton's three here, the complaint lifecycle's in lifecycle_codec), and the decoder that
upcasts old schema versions and refuses, with a distinct error, what is too new for this code."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf import message as pb_message

from suara.v1 import events_pb2 as pb
from suara_complaint.events import Event as LifecycleEvent
from suara_kit import lifecycle_codec
from suara_kit.events import (
    Actor,
    ActorKind,
    CategorySource,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    NotificationOutcome,
    Priority,
    RoutingSuggestion,
    SourceChannel,
    StaffNotified,
)
from suara_kit.registry import (
    EventCodec,
    EventTooNew,
    NewerSchemaVersion,
    Registry,
    UndecodableEvent,
    UnknownEventType,
    Upcaster,
    moment,
    reverse,
    timestamp,
)

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "REGISTRY",
    "EventTooNew",
    "NewerSchemaVersion",
    "UndecodableEvent",
    "UnknownEventType",
    "Upcaster",
    "channel_from_proto",
    "channel_to_proto",
    "decode",
    "encode",
    "from_proto",
    "lifecycle_event",
    "to_proto",
]

# The schema version of the walking skeleton's three types (each entry has its own).
CURRENT_SCHEMA_VERSION = 1

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
    return reverse(_CHANNELS, value, "source_channel")


# --- the walking skeleton's three types -----------------------------------------------------------------------------


def _submitted_to_proto(s: ComplaintSubmitted) -> pb.ComplaintSubmitted:
    return pb.ComplaintSubmitted(
        tracking_number=s.tracking_number,
        text=s.text,
        category=s.category,
        kelurahan_code=s.kelurahan_code,
        kelurahan_name=s.kelurahan_name,
        kecamatan_name=s.kecamatan_name,
        source_channel=_CHANNELS[s.source_channel],
        anonymous=s.anonymous,
        has_reporter_contact=s.has_reporter_contact,
        idempotency_key=s.idempotency_key,
    )


def _submitted_from_proto(s: pb.ComplaintSubmitted, _: pb.EventEnvelope) -> ComplaintSubmitted:
    return ComplaintSubmitted(
        tracking_number=s.tracking_number,
        text=s.text,
        category=s.category,
        kelurahan_code=s.kelurahan_code,
        kelurahan_name=s.kelurahan_name,
        kecamatan_name=s.kecamatan_name,
        source_channel=reverse(_CHANNELS, s.source_channel, "complaint_submitted.source_channel"),
        anonymous=s.anonymous,
        has_reporter_contact=s.has_reporter_contact,
        idempotency_key=s.idempotency_key,
    )


def _routed_to_proto(r: ComplaintRouted) -> pb.ComplaintRouted:
    return pb.ComplaintRouted(
        opd_code=r.opd_code,
        opd_name=r.opd_name,
        priority=_PRIORITIES[r.priority],
        due_at=timestamp(r.due_at),
        rule_id=r.rule_id,
        reason=r.reason,
        routing_model_version=r.routing_model_version,
        confidence=r.confidence,
        alternatives=[
            pb.RoutingSuggestion(category=a.category, opd_code=a.opd_code, score=a.score) for a in r.alternatives
        ],
        top_terms=r.top_terms,
        category=r.category,
        category_source=_CATEGORY_SOURCES[r.category_source],
        classifier_category=r.classifier_category,
        emergency=r.emergency,
        emergency_kind=r.emergency_kind,
        responders=r.responders,
        outside_authority=r.outside_authority,
        needs_coordinator=r.needs_coordinator,
        coordinator_desk=r.coordinator_desk,
        possible_duplicate_of=r.possible_duplicate_of,
        possible_duplicate_tracking_number=r.possible_duplicate_tracking_number,
        duplicate_similarity=r.duplicate_similarity,
        kelurahan_in_text=r.kelurahan_in_text,
    )


def _routed_from_proto(r: pb.ComplaintRouted, _: pb.EventEnvelope) -> ComplaintRouted:
    return ComplaintRouted(
        opd_code=r.opd_code,
        opd_name=r.opd_name,
        priority=reverse(_PRIORITIES, r.priority, "complaint_routed.priority"),
        due_at=moment(r.due_at),
        rule_id=r.rule_id,
        reason=r.reason,
        routing_model_version=r.routing_model_version,
        confidence=r.confidence,
        alternatives=tuple(RoutingSuggestion(a.category, a.opd_code, a.score) for a in r.alternatives),
        top_terms=tuple(r.top_terms),
        category=r.category,
        category_source=reverse(_CATEGORY_SOURCES, r.category_source, "complaint_routed.category_source"),
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


def _notified_to_proto(n: StaffNotified) -> pb.StaffNotified:
    return pb.StaffNotified(
        opd_code=n.opd_code, channel=n.channel, recipient=n.recipient, outcome=_OUTCOMES[n.outcome], detail=n.detail
    )


def _notified_from_proto(n: pb.StaffNotified, _: pb.EventEnvelope) -> StaffNotified:
    return StaffNotified(
        opd_code=n.opd_code,
        channel=n.channel,
        recipient=n.recipient,
        outcome=reverse(_OUTCOMES, n.outcome, "staff_notified.outcome"),
        detail=n.detail,
    )


SKELETON_ENTRIES: tuple[EventCodec[Any, Any], ...] = (
    EventCodec(
        "ComplaintSubmitted",
        ComplaintSubmitted,
        "complaint_submitted",
        pb.ComplaintSubmitted,
        _submitted_to_proto,
        _submitted_from_proto,
    ),
    EventCodec(
        "ComplaintRouted", ComplaintRouted, "complaint_routed", pb.ComplaintRouted, _routed_to_proto, _routed_from_proto
    ),
    EventCodec(
        "StaffNotified", StaffNotified, "staff_notified", pb.StaffNotified, _notified_to_proto, _notified_from_proto
    ),
)

REGISTRY = Registry((*SKELETON_ENTRIES, *lifecycle_codec.ENTRIES))


# --- the envelope -------------------------------------------------------------------------------------------------


def lifecycle_event(
    change: LifecycleEvent,
    sequence: int,
    *,
    correlation_id: str,
    causation_id: str,
    producer: str,
    display_name: str = "",
) -> Event:
    """The Event that carries one of the aggregate's events at `sequence` of its complaint's stream: the envelope's
    id, complaint, time and actor are the change's own."""
    actor = Actor(lifecycle_codec.KINDS[change.actor.role], change.actor.subject, display_name)
    return Event(
        event_id=change.event_id,
        complaint_id=change.complaint_id,
        sequence=sequence,
        occurred_at=change.at,
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
        producer=producer,
        payload=change,
        schema_version=REGISTRY.for_payload(change).schema_version,
    )


def _lifecycle_header(event: Event, change: LifecycleEvent, envelope: pb.EventEnvelope) -> None:
    mismatched = [
        name
        for name, outer, inner in (
            ("event_id", event.event_id, change.event_id),
            ("complaint_id", event.complaint_id, change.complaint_id),
            ("occurred_at", event.occurred_at, change.at),
            ("actor", event.actor.id, change.actor.subject),
        )
        if outer != inner
    ]
    if mismatched:
        raise ValueError(f"{event.event_type}: the envelope's {', '.join(mismatched)} differ from the event's own")
    envelope.actor.role = lifecycle_codec.ROLES[change.actor.role]  # type: ignore[assignment]  # an ActorRole value
    envelope.actor.opd = change.actor.opd or ""
    envelope.command_key = change.command_key


def to_proto(event: Event) -> pb.EventEnvelope:
    """The one envelope builder: the header from the Event, the payload from its type's registry entry."""
    entry = REGISTRY.for_payload(event.payload)
    envelope = pb.EventEnvelope(
        event_id=event.event_id,
        event_type=entry.name,
        schema_version=entry.schema_version,
        complaint_id=event.complaint_id,
        sequence=event.sequence,
        occurred_at=timestamp(event.occurred_at),
        actor=pb.Actor(kind=_ACTOR_KINDS[event.actor.kind], id=event.actor.id, display_name=event.actor.display_name),
        correlation_id=event.correlation_id,
        causation_id=event.causation_id,
        producer=event.producer,
    )
    if isinstance(event.payload, LifecycleEvent):
        _lifecycle_header(event, event.payload, envelope)
    entry.encode_into(event.payload, envelope)
    return envelope


def encode(event: Event) -> bytes:
    return to_proto(event).SerializeToString()


def _uuid(value: str, field: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise UndecodableEvent(f"{field}: {value!r} is not a UUID") from None


def _entry_for(envelope: pb.EventEnvelope) -> tuple[EventCodec[Any, Any], pb.EventEnvelope]:
    """The registry entry of the envelope's event type, upcasting the envelope to that type's current version.
    Raises UnknownEventType or NewerSchemaVersion when this code is older than the producer's."""
    for _ in range(100):  # each step raises the version of a type, so this ends; the bound guards a bad upcaster
        name, version = envelope.event_type, envelope.schema_version
        entry = REGISTRY.by_name.get(name)
        if entry is None:
            case = envelope.WhichOneof("payload")
            if case is not None:  # a payload we know under a name we do not: a corrupt envelope, not a newer one
                raise UndecodableEvent(f"event_type: {name!r} does not match payload {REGISTRY.by_case[case].name}")
            if not name:
                raise UndecodableEvent("payload: not set")
            raise UnknownEventType(
                f"event_type: {name!r} is unknown to this service (schema_version {version})",
                name,
                version,
                envelope.event_id,
            )
        if version > entry.schema_version:
            raise NewerSchemaVersion(
                f"schema_version: {version} is newer than this service understands ({entry.schema_version})",
                name,
                version,
                entry.schema_version,
                envelope.event_id,
            )
        if version == entry.schema_version:
            return entry, envelope
        upcast = entry.upcasters.get(version)
        if upcast is None:
            raise UndecodableEvent(f"schema_version: no upcaster from version {version} of {name}")
        envelope = upcast(envelope)
    raise UndecodableEvent(f"schema_version: the upcasters of {envelope.event_type} do not end")


def from_proto(envelope: pb.EventEnvelope) -> Event:
    entry, envelope = _entry_for(envelope)
    case = envelope.WhichOneof("payload")
    if case is None:
        raise UndecodableEvent("payload: not set")
    if case != entry.case:
        raise UndecodableEvent(
            f"event_type: {envelope.event_type!r} does not match payload {REGISTRY.by_case[case].name}"
        )
    if envelope.sequence < 1:
        raise UndecodableEvent("sequence: must be 1 or more")
    if not envelope.HasField("occurred_at"):
        raise UndecodableEvent("occurred_at: not set")
    event_id = _uuid(envelope.event_id, "event_id")
    complaint_id = _uuid(envelope.complaint_id, "complaint_id")
    payload = entry.decode_from(envelope)
    return Event(
        event_id=event_id,
        complaint_id=complaint_id,
        sequence=envelope.sequence,
        occurred_at=moment(envelope.occurred_at),
        actor=Actor(
            kind=reverse(_ACTOR_KINDS, envelope.actor.kind, "actor.kind"),
            id=envelope.actor.id,
            display_name=envelope.actor.display_name,
        ),
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        producer=envelope.producer,
        payload=payload,
        schema_version=entry.schema_version,
    )


def decode(data: bytes) -> Event:
    """Parse and validate an envelope. Raises UndecodableEvent naming what is wrong, or one of its subclasses
    UnknownEventType / NewerSchemaVersion (both EventTooNew) when this code is older than the event's producer."""
    envelope = pb.EventEnvelope()
    try:
        envelope.ParseFromString(data)
    except pb_message.DecodeError as error:
        raise UndecodableEvent(f"not a protobuf EventEnvelope: {error}") from None
    return from_proto(envelope)
