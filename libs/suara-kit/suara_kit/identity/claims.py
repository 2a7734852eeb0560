"""From a verified token's claims to a Principal; which claims carry what is configurable (Keycloak-style defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from suara_kit.identity.principal import OPD_SCOPED_ROLES, Principal, Role

MAX_CLAIM_LENGTH = 200  # what a claim may be before it is refused (and what an error message repeats at most)


class ClaimsError(ValueError):
    """The token is genuine but does not say who the caller is in Suara's terms (no role, no OPD, ...)."""


@dataclass(frozen=True)
class ClaimsMapping:
    """Where each part of a Principal comes from.

    Defaults suit Keycloak: `sub`; `name`, else `preferred_username`; the role from a `suara_role` claim (a user
    attribute mapper) or else from realm roles named `suara-<role>` in `realm_access.roles`; the OPD from `suara_opd`;
    an integrator's id from `suara_integrator`, else `azp` (the client id of a client-credentials token).
    """

    subject_claim: str = "sub"
    name_claims: tuple[str, ...] = ("name", "preferred_username")
    role_claim: str = "suara_role"
    realm_role_prefix: str = "suara-"
    opd_claim: str = "suara_opd"
    integrator_claims: tuple[str, ...] = ("suara_integrator", "azp")

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        subject = _text(claims, self.subject_claim)
        if not subject:
            raise ClaimsError(f"missing subject claim '{self.subject_claim}'")
        role = self._role(claims)
        opd = _text(claims, self.opd_claim) or None
        if role in OPD_SCOPED_ROLES and not opd:
            raise ClaimsError(f"role {role.value} needs an OPD: missing claim '{self.opd_claim}'")
        integrator_id = None
        if role is Role.INTEGRATOR:
            integrator_id = next((v for c in self.integrator_claims if (v := _text(claims, c))), None)
            if not integrator_id:
                raise ClaimsError(f"role integrator needs an id: missing claim {' or '.join(self.integrator_claims)}")
        display_name = next((v for c in self.name_claims if (v := _text(claims, c))), subject)
        return Principal(subject, display_name, role, opd, integrator_id)

    def _role(self, claims: Mapping[str, Any]) -> Role:
        named = _text(claims, self.role_claim)
        if named:
            return _known_role(named, f"claim '{self.role_claim}'")
        realm = claims.get("realm_access")
        roles = realm.get("roles") if isinstance(realm, Mapping) else None
        prefix = self.realm_role_prefix
        found = sorted(
            {r[len(prefix) :] for r in roles if isinstance(r, str) and r.startswith(prefix)}
            if isinstance(roles, list)
            else set()
        )
        if not found:
            raise ClaimsError(
                f"missing role: no claim '{self.role_claim}' and no realm role '{prefix}<role>' in realm_access.roles"
            )
        if len(found) > 1:
            # Keycloak composite roles would expand into several; one account, one Suara role keeps scope readable.
            raise ClaimsError(f"several Suara roles in realm_access.roles ({', '.join(found)[:MAX_CLAIM_LENGTH]})")
        return _known_role(found[0], "realm_access.roles")


def _known_role(value: str, where: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ClaimsError(f"unknown role {value[:40]!r} in {where} (known: {known})") from None


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ClaimsError(f"claim '{name}' must be a string")
    if len(value) > MAX_CLAIM_LENGTH:
        raise ClaimsError(f"claim '{name}' is longer than {MAX_CLAIM_LENGTH} characters")
    return value.strip()
