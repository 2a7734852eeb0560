"""The event contract as plain frozen dataclasses: what services work with instead of protobuf messages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from suara_complaint.events import Event as LifecycleEvent


class ActorKind(StrEnum):
    CITIZEN = "citizen"
    INTEGRATOR = "integrator"
    SERVICE = "service"
    STAFF = "staff"


class SourceChannel(StrEnum):
    PHONE_112 = "phone_112"
    WHATSAPP = "whatsapp"
    INSTAGRAM = "instagram"
    WEB_PORTAL = "web_portal"
    SP4N_LAPOR = "sp4n_lapor"
    SURGA = "surga"
    WALK_IN = "walk_in"


class Priority(StrEnum):
    DARURAT = "darurat"
    TINGGI = "tinggi"
    NORMAL = "normal"


class NotificationOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    display_name: str = ""


@dataclass(frozen=True)
class ComplaintSubmitted:
    tracking_number: str
    text: str
    category: str
    kelurahan_code: str
    kelurahan_name: str
    kecamatan_name: str
    source_channel: SourceChannel
    anonymous: bool
    has_reporter_contact: bool
    idempotency_key: str


class CategorySource(StrEnum):
    UNSPECIFIED = ""  # events recorded before the router read the text
    GIVEN = "given"  # the integrator chose it
    PROPOSED = "proposed"  # the classifier proposed it


@dataclass(frozen=True)
class RoutingSuggestion:
    category: str
    opd_code: str
    score: float


@dataclass(frozen=True)
class ComplaintRouted:
    opd_code: str
    opd_name: str
    priority: Priority
    due_at: datetime
    rule_id: str
    reason: str
    # Text routing (issue 7): why, according to the model. Empty in events recorded before it.
    routing_model_version: str = ""
    confidence: float = 0.0
    alternatives: tuple[RoutingSuggestion, ...] = ()
    top_terms: tuple[str, ...] = ()
    category: str = ""
    category_source: CategorySource = CategorySource.UNSPECIFIED
    classifier_category: str = ""  # the classifier's own top category when it disagrees with a given one
    emergency: bool = False
    emergency_kind: str = ""
    responders: tuple[str, ...] = ()  # agency codes alerted at once for an emergency
    outside_authority: str = ""  # agency code of a body outside the city's authority
    needs_coordinator: bool = False
    coordinator_desk: str = ""  # agency code of the desk alerted when needs_coordinator
    possible_duplicate_of: str = ""  # complaint id
    possible_duplicate_tracking_number: str = ""
    duplicate_similarity: float = 0.0
    kelurahan_in_text: str = ""


@dataclass(frozen=True)
class StaffNotified:
    opd_code: str
    channel: str
    recipient: str
    outcome: NotificationOutcome
    detail: str


# The walking skeleton's three types, and the complaint lifecycle's (suara_complaint.events), on one topic.
Payload = ComplaintSubmitted | ComplaintRouted | StaffNotified | LifecycleEvent
LIFECYCLE_NAMESPACE = "Lifecycle"


def lifecycle_wire_name(event_type: type[LifecycleEvent]) -> str:
    """A lifecycle event's type on the wire: "Lifecycle.<Name>", because two of them share a name with the walking
    skeleton's types that the topic keeps forever (docs/decisions/0120-codec-registry.md)."""
    return f"{LIFECYCLE_NAMESPACE}.{event_type.__name__}"


EVENT_TYPES: dict[str, type[Payload]] = {t.__name__: t for t in (ComplaintSubmitted, ComplaintRouted, StaffNotified)}


@dataclass(frozen=True)
class Event:
    """One fact about one complaint, at position `sequence` of that complaint's stream."""

    event_id: str
    complaint_id: str
    sequence: int
    occurred_at: datetime
    actor: Actor
    correlation_id: str
    causation_id: str
    producer: str
    payload: Payload
    schema_version: int = 1

    @property
    def event_type(self) -> str:
        """The payload's type as the envelope names it (the codec registry's key)."""
        if isinstance(self.payload, LifecycleEvent):
            return lifecycle_wire_name(type(self.payload))
        return type(self.payload).__name__


# Event ids of events caused by other events are derived, not random: a redelivered cause yields
# the same id again, which is what makes every writer idempotent.
_SUARA_NAMESPACE = uuid.UUID("6f1f5a52-3c0b-4f57-9a0e-5b3a9c1d2e7f")


def derived_id(*parts: str) -> str:
    """A stable UUID (v5) for the given parts, e.g. derived_id(cause_event_id, "ComplaintRouted")."""
    return str(uuid.uuid5(_SUARA_NAMESPACE, "\x1f".join(parts)))
