"""From an authenticated caller and a request to the aggregate's command: who acts (the verified principal, in the
aggregate's roles), on which complaint, at which version, under which idempotency key.

Pure mapping, no I/O. Idempotency keys are scoped to the caller (`<subject>/<key>`): two people who happen to pick
the same key never collide, and an integrator's keys are its own (issue 5 §5).
"""

from __future__ import annotations

from suara_complaint import Actor, EscalationLevel, ResolutionKind
from suara_complaint import Role as AggregateRole
from suara_kit.identity import Principal
from suara_kit.identity import Role as TokenRole

ROLES: dict[TokenRole, AggregateRole] = {
    TokenRole.COORDINATOR: AggregateRole.COORDINATOR,
    TokenRole.OFFICER: AggregateRole.OPD_OFFICER,
    TokenRole.HEAD: AggregateRole.OPD_HEAD,
    TokenRole.INTEGRATOR: AggregateRole.INTEGRATOR,
    TokenRole.AUDITOR: AggregateRole.AUDITOR,
    TokenRole.SERVICE: AggregateRole.SYSTEM,
}
KEY_MAX = 200
ID_MAX = 64


class BadRequest(ValueError):
    """A field of the request is missing or malformed; the message names it."""


def actor_of(principal: Principal) -> Actor:
    """The actor recorded on the events: the token's subject (an integrator acts as its integrator id, the id intake
    records as the complaint's submitter), in its role and OPD."""
    subject = principal.integrator_id if principal.role is TokenRole.INTEGRATOR else principal.subject
    assert subject is not None  # a Principal in role integrator always has one
    # The OPD an actor acts for: staff only (an integrator's or auditor's home agency is not a scope).
    opd = principal.opd if principal.role in (TokenRole.OFFICER, TokenRole.HEAD, TokenRole.COORDINATOR) else None
    return Actor(subject, ROLES[principal.role], opd)


def scoped_key(principal: Principal, key: str) -> str:
    key = key.strip()
    if not key:
        raise BadRequest("idempotency_key: required (a retry with the same key records nothing twice)")
    if len(key) > KEY_MAX:
        raise BadRequest(f"idempotency_key: at most {KEY_MAX} characters")
    return f"{principal.subject}/{key}"


def complaint_id(value: str) -> str:
    value = value.strip()
    if not value:
        raise BadRequest("complaint_id: required")
    if len(value) > ID_MAX:
        raise BadRequest(f"complaint_id: at most {ID_MAX} characters")
    return value


def expected_version(value: int) -> int | None:
    """0 means "do not check" (a script that did not read the complaint first)."""
    return value or None


def resolution_kind(value: str) -> ResolutionKind:
    if not value:
        return ResolutionKind.PENGADUAN
    try:
        return ResolutionKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ResolutionKind)
        raise BadRequest(f"kind: unknown '{value[:40]}' (one of {allowed})") from None


def escalation_level(value: str) -> EscalationLevel:
    if not value:
        return EscalationLevel.SEKDA
    try:
        return EscalationLevel(value)
    except ValueError:
        allowed = ", ".join(level.value for level in EscalationLevel)
        raise BadRequest(f"level: unknown '{value[:40]}' (one of {allowed})") from None
