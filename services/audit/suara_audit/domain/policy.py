"""Which fields of each event type an auditor reads in clear, and which are personal data (committed to only).

One entry per event type. An event type without an entry is still logged, with its envelope and no payload in
clear: the log never guesses that an unknown field is safe to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch

from suara_audit.domain.leaf import ActorFacts, EventFacts, Json, StatusChange, rfc3339
from suara_kit.events import ActorKind, ComplaintRouted, ComplaintSubmitted, Event, StaffNotified


@dataclass(frozen=True)
class Described:
    status: StatusChange | None
    opd: str | None
    clear: dict[str, Json]
    personal: dict[str, str]


@singledispatch
def described(payload: object) -> Described:
    """An event type without an entry: envelope only, nothing of its payload in clear."""
    return Described(None, None, {}, {})


@described.register
def _submitted(p: ComplaintSubmitted) -> Described:
    return Described(
        status=StatusChange(None, "submitted"),
        opd=None,
        clear={
            "tracking_number": p.tracking_number,
            "category": p.category,
            "kelurahan_code": p.kelurahan_code,
            "kelurahan_name": p.kelurahan_name,
            "kecamatan_name": p.kecamatan_name,
            "channel": p.source_channel.value,
            "anonymous": p.anonymous,
            "has_reporter_contact": p.has_reporter_contact,
        },
        # The complaint's own words, and the integrator's key (which may carry a phone number or chat id).
        personal={"text": p.text, "idempotency_key": p.idempotency_key},
    )


@described.register
def _routed(p: ComplaintRouted) -> Described:
    return Described(
        status=StatusChange("submitted", "routed"),
        opd=p.opd_code,
        clear={
            "opd_code": p.opd_code,
            "opd_name": p.opd_name,
            "priority": p.priority.value,
            "due_at": rfc3339(p.due_at),
            "rule_id": p.rule_id,
        },
        # The reason may quote the complaint's text (free-text routing).
        personal={"reason": p.reason},
    )


@described.register
def _notified(p: StaffNotified) -> Described:
    return Described(
        status=None,
        opd=p.opd_code,
        clear={"opd_code": p.opd_code, "channel": p.channel, "outcome": p.outcome.value},
        # A named officer's address, and the mail server's reply which may repeat it.
        personal={"recipient": p.recipient, "detail": p.detail},
    )


def describe(event: Event) -> EventFacts:
    """The facts of a decoded event, with its personal data set apart."""
    facts = described(event.payload)
    personal = dict(facts.personal)
    actor_id: str | None = event.actor.id
    if event.actor.kind is ActorKind.CITIZEN:
        # A citizen's identifier (a phone number, an account) is about the reporter.
        personal["actor.id"], actor_id = event.actor.id, None
    if event.actor.display_name:
        personal["actor.display_name"] = event.actor.display_name
    return EventFacts(
        event_id=event.event_id,
        event_type=event.event_type,
        complaint_id=event.complaint_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor=ActorFacts(kind=event.actor.kind.value, id=actor_id),
        status=facts.status,
        opd=facts.opd,
        payload=facts.clear,
        personal={k: v for k, v in personal.items() if v},
    )
