"""Who acts on a complaint: the authenticated subject, the role it holds and, for OPD staff, its OPD."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"  # Diskominfo's complaint desk (SP4N-LAPOR! admin koordinator)
    OPD_OFFICER = "opd_officer"  # an OPD's complaint officer (penghubung / liaison officer)
    OPD_HEAD = "opd_head"  # the head of an OPD: everything an officer may, for the OPD; receives escalations
    INTEGRATOR = "integrator"  # the channel that submitted the complaint, acting for the citizen
    SYSTEM = "system"  # Suara's own services: router, deadline clock, notifier
    AUDITOR = "auditor"  # reads the audit log; may not change a complaint


OPD_ROLES = frozenset({Role.OPD_OFFICER, Role.OPD_HEAD})


@dataclass(frozen=True)
class Actor:
    """`subject` is the verified identity (token subject or service name), never a caller-set header."""

    subject: str
    role: Role
    opd: str | None = None  # required for OPD roles

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError("actor subject is required")
        if self.role in OPD_ROLES and not self.opd:
            raise ValueError(f"an actor in role {self.role} needs an OPD")

    @property
    def scope(self) -> str:
        """The scope the actor acts in, as a refusal names it."""
        if self.role in OPD_ROLES:
            return f"opd:{self.opd}"
        if self.role is Role.INTEGRATOR:
            return f"integrator:{self.subject}"
        return self.role.value
