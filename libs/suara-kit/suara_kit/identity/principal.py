"""Who is calling: the verified principal, its roles, and the one check of role and scope every handler uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of issue 5. Officers and heads act for one OPD; the others are city-wide or their own."""

    COORDINATOR = "coordinator"  # Diskominfo's complaint desk: verifies, dispatches, decides owners; sees all
    OFFICER = "officer"  # OPD staff: acknowledges, follows up, hands back, resolves, for their OPD
    HEAD = "head"  # OPD head: what an officer may, for the OPD, and receives escalations
    AUDITOR = "auditor"  # reads the integrity log
    INTEGRATOR = "integrator"  # software that submits for citizens (112, the portal); sees its own submissions
    SERVICE = "service"  # another Suara service


OPD_SCOPED_ROLES = frozenset({Role.OFFICER, Role.HEAD})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, built only from a token whose signature, issuer, audience and lifetime were checked.

    `subject` is the identity provider's stable id (the `sub` claim): the actor recorded on events. `opd` is set for
    officers and heads (and may be for others as their home agency); `integrator_id` for integrators.
    """

    subject: str
    display_name: str
    role: Role
    opd: str | None = None
    integrator_id: str | None = None

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError("a principal needs a subject")
        if self.role in OPD_SCOPED_ROLES and not self.opd:
            raise ValueError(f"role {self.role.value} needs an OPD")
        if self.role is Role.INTEGRATOR and not self.integrator_id:
            raise ValueError("role integrator needs an integrator id")

    @property
    def scope(self) -> str:
        """The principal's role and scope in words, for messages: 'officer of DPUPR', 'integrator lapor-112'."""
        if self.role in OPD_SCOPED_ROLES:
            return f"{self.role.value} of {self.opd}"
        if self.role is Role.INTEGRATOR:
            return f"integrator {self.integrator_id}"
        return self.role.value


class AccessDenied(Exception):
    """The principal is authenticated but may not do this. The gRPC layer answers PERMISSION_DENIED with the text."""


def require(
    principal: Principal,
    roles: Iterable[Role],
    *,
    opd: str | None = None,
    integrator_id: str | None = None,
    action: str = "",
) -> Principal:
    """Return `principal` if its role is one of `roles` and it acts within its scope, else raise AccessDenied naming
    the role and the scope.

    `opd`: the OPD the object belongs to (a complaint's current OPD); officers and heads must belong to it, city-wide
    roles (coordinator, auditor, service) are not limited by it. `integrator_id`: the integrator that submitted the
    object; an integrator must be that one. `action` names what was tried, for the message ("acknowledge").
    """
    allowed = tuple(Role(r) for r in roles)
    what = action or "this"
    if principal.role not in allowed:
        names = " or ".join(r.value for r in allowed) or "no role"
        raise AccessDenied(f"{what} needs role {names}; you are {principal.scope}")
    if opd is not None and principal.role in OPD_SCOPED_ROLES and principal.opd != opd:
        raise AccessDenied(f"{what} is for {opd}'s staff; you are {principal.scope}")
    if integrator_id is not None and principal.role is Role.INTEGRATOR and principal.integrator_id != integrator_id:
        raise AccessDenied(f"{what} is for the integrator that submitted it; you are {principal.scope}")
    return principal


def may_see(principal: Principal, submitted_by: str, held_by: Iterable[str]) -> bool:
    """Whether the caller may see a complaint at all (issue 5 §5): the coordinator, the auditors and Suara's services
    see every one; OPD staff those their OPD holds or held; an integrator those it submitted. Callers answer
    NOT_FOUND otherwise, so that a complaint's existence is not revealed either."""
    if principal.role in (Role.COORDINATOR, Role.SERVICE, Role.AUDITOR):
        return True
    if principal.role in OPD_SCOPED_ROLES:
        return principal.opd in set(held_by)
    if principal.role is Role.INTEGRATOR:
        return bool(submitted_by) and submitted_by in (principal.integrator_id, principal.subject)
    return False
