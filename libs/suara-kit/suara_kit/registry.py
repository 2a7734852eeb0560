"""The codec registry: per event type, its wire name, payload dataclass, proto message, encoder, decoder, schema
version and upcasters; and the errors a decoder raises. Adding an event type is one entry plus its proto message.

The envelope builder that uses the registry is `suara_kit.codec` (docs/decisions/0120-codec-registry.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from google.protobuf import message as pb_message
from google.protobuf.timestamp_pb2 import Timestamp

from suara.v1 import events_pb2 as pb

K = TypeVar("K")
P = TypeVar("P")
M = TypeVar("M", bound=pb_message.Message)


class UndecodableEvent(ValueError):
    """The bytes are not a valid Suara event envelope; the reason names what is wrong. Never readable: a consumer
    dead-letters it."""


class EventTooNew(UndecodableEvent):
    """A valid envelope written by code newer than this consumer's: an event type it does not know, or a newer
    schema version of one it knows. Not the message's fault, so never dead-lettered nor skipped: the consumer waits
    at it (pauses the partition) until it is deployed with code that reads it (deploy consumers before producers).

    A subclass of UndecodableEvent so that code which only records what it can read of an envelope (the audit log)
    still does; a consumer loop must test for this class first."""

    def __init__(self, message: str, event_type: str, schema_version: int, event_id: str = "") -> None:
        super().__init__(message)
        self.event_type = event_type
        self.schema_version = schema_version
        self.event_id = event_id

    @property
    def what(self) -> str:
        """The type and version, as a log line or health detail names them."""
        return f"event type {self.event_type!r} schema version {self.schema_version}"


class UnknownEventType(EventTooNew):
    """The envelope's event_type is not in this consumer's registry."""


class NewerSchemaVersion(EventTooNew):
    """The event type is known, but its schema_version is newer than the one this consumer reads."""

    def __init__(
        self, message: str, event_type: str, schema_version: int, known_version: int, event_id: str = ""
    ) -> None:
        super().__init__(message, event_type, schema_version, event_id)
        self.known_version = known_version


# An upcaster turns an envelope of one schema version of its type into the next version (it may also rename the
# type, e.g. an old type read as its successor). Keyed by the version it upgrades *from*.
Upcaster = Callable[[pb.EventEnvelope], pb.EventEnvelope]
# Decoders see the envelope too: the lifecycle's events carry their id, complaint, time, actor and command key in it.
Decoder = Callable[[M, pb.EventEnvelope], P]


@dataclass(frozen=True)
class EventCodec(Generic[P, M]):
    """One event type on the wire."""

    name: str  # the envelope's event_type, e.g. "ComplaintSubmitted" or "Lifecycle.ComplaintRated"
    payload_type: type[P]  # the frozen dataclass services work with
    case: str  # the envelope's `payload` oneof case that carries it, e.g. "complaint_submitted"
    message_type: type[M]  # that case's proto message
    encode: Callable[[P], M]
    decode: Decoder[M, P]
    schema_version: int = 1  # the version this code writes and reads
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)

    def encode_into(self, payload: object, envelope: pb.EventEnvelope) -> None:
        if not isinstance(payload, self.payload_type):
            raise TypeError(f"{self.name}: expected a {self.payload_type.__name__}, got {type(payload).__name__}")
        getattr(envelope, self.case).CopyFrom(self.encode(payload))

    def decode_from(self, envelope: pb.EventEnvelope) -> P:
        message: M = getattr(envelope, self.case)
        try:
            return self.decode(message, envelope)
        except UndecodableEvent:
            raise
        except (ValueError, TypeError) as error:  # a domain constructor refused a value (a zero budget, …)
            raise UndecodableEvent(f"{self.case}: {error}") from None


class Registry:
    """Every event type this code reads and writes, by wire name, by oneof case and by payload class. Built once at
    import; refuses two entries for one name, case or class, and a case whose message is not the entry's."""

    def __init__(self, entries: Iterable[EventCodec[Any, Any]]) -> None:
        self.by_name: dict[str, EventCodec[Any, Any]] = {}
        self.by_case: dict[str, EventCodec[Any, Any]] = {}
        self.by_type: dict[type, EventCodec[Any, Any]] = {}
        oneof = pb.EventEnvelope.DESCRIPTOR.oneofs_by_name["payload"]
        cases = {f.name: f for f in oneof.fields}
        for entry in entries:
            if entry.name in self.by_name or entry.case in self.by_case or entry.payload_type in self.by_type:
                raise ValueError(f"codec registry: {entry.name} ({entry.case}) registered twice")
            proto_field = cases.get(entry.case)
            if proto_field is None:
                raise ValueError(f"codec registry: {entry.name}: EventEnvelope has no payload case {entry.case!r}")
            carried = proto_field.message_type
            if carried is not entry.message_type.DESCRIPTOR:
                raise ValueError(
                    f"codec registry: {entry.name}: case {entry.case} carries {carried and carried.full_name}, "
                    f"not {entry.message_type.DESCRIPTOR.full_name}"
                )
            if entry.schema_version < 1 or any(v >= entry.schema_version for v in entry.upcasters):
                raise ValueError(f"codec registry: {entry.name}: upcasters must be from versions below the current")
            self.by_name[entry.name] = entry
            self.by_case[entry.case] = entry
            self.by_type[entry.payload_type] = entry

    def for_payload(self, payload: object) -> EventCodec[Any, Any]:
        entry = self.by_type.get(type(payload))
        if entry is None:
            raise TypeError(f"no codec registered for {type(payload).__name__}")
        return entry

    def unregistered_cases(self) -> list[str]:
        """Oneof cases of the envelope that no entry reads (should be none)."""
        return [
            f.name for f in pb.EventEnvelope.DESCRIPTOR.oneofs_by_name["payload"].fields if f.name not in self.by_case
        ]


# --- conversions every entry uses ---------------------------------------------------------------------------------


def timestamp(moment: datetime) -> Timestamp:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def moment(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def reverse(table: Mapping[K, int], value: int, field_name: str) -> K:
    for key, candidate in table.items():
        if candidate == value:
            return key
    raise UndecodableEvent(f"{field_name}: unknown value {value!r}")
