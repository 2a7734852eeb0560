"""A log leaf: what an auditor may read in clear about one event, with personal data only as salted commitments.

The leaf is RFC 8785 canonical JSON (docs/audit/formats.md, "Leaf"). Personal data (a complaint's free text, anything
about the reporter or a named person) never appears in clear: each such field is committed to as
``base64url(SHA-256("suara-disclosure-v1" 0x00 || u16(len salt) || salt || u32(len field) || field || u32(len value)
|| value))`` with a fresh random salt of SALT_BYTES, and the salt and value go to the erasable disclosure store.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

from suara_audit.domain.merkle import leaf_hash
from suara_verify.bundle import commitment as verifier_commitment

LEAF_FORMAT = "suara-audit-leaf/v1"
SALT_BYTES = 16

Json = Any  # a value rfc8785 can serialise: str, int, bool, None, list, dict with str keys


@dataclass(frozen=True)
class Source:
    """Where the sequencer read the event."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Received:
    """An event's exact bytes as read from Kafka, before it is logged."""

    data: bytes
    source: Source

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ActorFacts:
    kind: str
    id: str | None
    role: str | None = None
    opd: str | None = None


@dataclass(frozen=True)
class StatusChange:
    before: str | None
    after: str


@dataclass(frozen=True)
class EventFacts:
    """What the log records about an event, read from its bytes (see adapters/event_reader.py).

    `payload` is what may be shown in clear; `personal` maps field names to personal data that is only committed
    to. `problem` is set when the bytes could not be fully read: the event is logged anyway, with what could be read.
    """

    event_id: str
    event_type: str
    complaint_id: str
    sequence: int
    occurred_at: datetime | None
    actor: ActorFacts
    status: StatusChange | None = None
    opd: str | None = None
    payload: Mapping[str, Json] = field(default_factory=dict)
    personal: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = None


def unloggable(facts: EventFacts | None, stage: str, error: BaseException) -> EventFacts:
    """What the log records of an event it failed to `stage` ("read", "build a leaf of"): the envelope's ids it
    could read and why, in words that hold no data of the event (an error's message may quote personal data, and a
    leaf is never erased: the message goes to the service's log only). Keyed by its bytes, like undecodable events."""
    problem = f"could not {stage} this event: {type(error).__name__} (logged by its hash; details in the service log)"
    if facts is None:
        return EventFacts("", "", "", 0, None, ActorFacts("", None), problem=problem)
    actor = ActorFacts(facts.actor.kind, None)
    return EventFacts(facts.event_id, facts.event_type, facts.complaint_id, 0, None, actor, problem=problem)


def event_key(facts: EventFacts, received: Received) -> str:
    """What makes two deliveries the same event: its id when it could be read, else its exact bytes.

    An unreadable message is never keyed by an id it claims, so a forged message cannot take a real event's place."""
    if facts.problem is None and facts.event_id:
        return facts.event_id
    return f"sha256:{received.sha256}"


@dataclass(frozen=True)
class Disclosure:
    """The salt and value behind one commitment. Kept in the erasable store; never part of a leaf."""

    index: int
    field: str
    salt: bytes
    value: str
    complaint_id: str

    def commitment(self) -> str:
        return commitment(self.salt, self.field, self.value)

    def to_json(self) -> bytes:
        """One line of disclosures.jsonl (canonical JSON, no newline)."""
        return rfc8785.dumps({"index": self.index, "field": self.field, "salt": b64url(self.salt), "value": self.value})


@dataclass(frozen=True)
class Leaf:
    index: int
    data: bytes
    key: str
    event_id: str
    event_type: str
    complaint_id: str
    recorded_at: datetime

    @property
    def hash(self) -> bytes:
        return leaf_hash(self.data)

    def commitments(self) -> dict[str, str]:
        """Field name -> commitment, as the leaf's bytes say (read, never recomputed)."""
        found = json.loads(self.data).get("commitments")
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def commitment(salt: bytes, field_name: str, value: str) -> str:
    """The salted commitment to one personal-data field: the verifier's own formula (one implementation), with the
    writer's rule that a salt is never shorter than SALT_BYTES."""
    if len(salt) < SALT_BYTES:
        raise ValueError(f"a disclosure salt must have at least {SALT_BYTES} bytes, got {len(salt)}")
    return verifier_commitment(salt, field_name, value)


def rfc3339(moment: datetime) -> str:
    """UTC with microseconds and Z, e.g. 2026-11-20T09:00:01.250000Z."""
    if moment.tzinfo is None:
        raise ValueError("times in the log must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_leaf(
    *,
    origin: str,
    index: int,
    facts: EventFacts,
    received: Received,
    recorded_at: datetime,
    salt: Callable[[], bytes] = lambda: secrets.token_bytes(SALT_BYTES),
) -> tuple[Leaf, list[Disclosure]]:
    """The leaf at `index` and the disclosures behind its commitments."""
    disclosures = [
        Disclosure(index, name, salt(), value, facts.complaint_id) for name, value in sorted(facts.personal.items())
    ]
    payload: dict[str, Json] = dict(facts.payload)
    if facts.problem is not None:
        payload["undecodable"] = facts.problem
    document: dict[str, Json] = {
        "format": LEAF_FORMAT,
        "origin": origin,
        "index": index,
        "event_id": facts.event_id,
        "event_type": facts.event_type,
        "complaint_id": facts.complaint_id,
        "sequence": facts.sequence,
        "status": None if facts.status is None else {"from": facts.status.before, "to": facts.status.after},
        "opd": facts.opd,
        "actor": {"kind": facts.actor.kind, "id": facts.actor.id, "role": facts.actor.role, "opd": facts.actor.opd},
        "occurred_at": None if facts.occurred_at is None else rfc3339(facts.occurred_at),
        "recorded_at": rfc3339(recorded_at),
        "source": {
            "topic": received.source.topic,
            "partition": received.source.partition,
            "offset": received.source.offset,
        },
        "event_sha256": received.sha256,
        "commitments": {d.field: d.commitment() for d in disclosures},
        "payload": payload,
    }
    leaf = Leaf(
        index=index,
        data=rfc8785.dumps(document),
        key=event_key(facts, received),
        event_id=facts.event_id,
        event_type=facts.event_type,
        complaint_id=facts.complaint_id,
        recorded_at=recorded_at,
    )
    return leaf, disclosures
