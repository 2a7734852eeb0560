"""Reading an event's bytes into the facts the log records, as far as they can be read.

A fully valid event is described by the domain's policy (domain/policy.py). Anything else is still logged: if the
bytes parse as an envelope (an event type or schema version this service does not know yet), its envelope fields
are recorded and none of its payload; if they do not parse at all, only their hash and where they were read.
"""

from __future__ import annotations

from datetime import UTC

from google.protobuf import message as pb_message

from suara.v1 import events_pb2 as pb
from suara_audit.domain.leaf import ActorFacts, EventFacts
from suara_audit.domain.policy import describe
from suara_kit import codec


def read_event(data: bytes) -> EventFacts:
    try:
        return describe(codec.decode(data))
    except codec.UndecodableEvent as error:
        problem = str(error)
    envelope = pb.EventEnvelope()
    try:
        envelope.ParseFromString(data)
    except pb_message.DecodeError:
        return EventFacts("", "", "", 0, None, ActorFacts("", None), problem=problem)
    actor_kind = pb.ActorKind.Name(envelope.actor.kind) if envelope.actor.kind in pb.ActorKind.values() else ""
    return EventFacts(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        complaint_id=envelope.complaint_id,
        sequence=envelope.sequence,
        occurred_at=envelope.occurred_at.ToDatetime(tzinfo=UTC) if envelope.HasField("occurred_at") else None,
        # The actor's id may identify a citizen: without a valid envelope we cannot tell, so it is not shown.
        actor=ActorFacts(actor_kind.removeprefix("ACTOR_KIND_").lower(), None),
        problem=problem,
    )
