"""Identity settings read once from the environment: which issuer and audience to accept, where its keys are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from suara_kit.identity.claims import ClaimsMapping
from suara_kit.identity.keys import key_source
from suara_kit.identity.verifier import SUPPORTED_ALGORITHMS, TokenVerifier
from suara_kit.settings import Env, InvalidSetting, MissingSetting

DEFAULT_AUDIENCE = "suara"


@dataclass(frozen=True)
class IdentitySettings:
    """SUARA_IDENTITY_ISSUER (required), SUARA_IDENTITY_AUDIENCE (default "suara"), and exactly one of
    SUARA_IDENTITY_JWKS_URL (production: the IdP's published keys) or SUARA_IDENTITY_JWKS_FILE (a JWKS or .pem file:
    the development identity provider, tests). Optional: SUARA_IDENTITY_ALGORITHMS, SUARA_IDENTITY_LEEWAY_SECONDS,
    SUARA_IDENTITY_JWKS_CACHE_SECONDS and the claim names (SUARA_IDENTITY_ROLE_CLAIM, _OPD_CLAIM,
    _INTEGRATOR_CLAIM, _REALM_ROLE_PREFIX)."""

    issuer: str
    audience: str
    jwks_url: str | None
    jwks_file: Path | None
    algorithms: tuple[str, ...] = SUPPORTED_ALGORITHMS
    leeway_seconds: int = 30
    jwks_cache_seconds: int = 300
    claims: ClaimsMapping = field(default_factory=ClaimsMapping)

    @classmethod
    def from_env(cls, env: Env | None = None) -> IdentitySettings:
        env = env or Env()
        issuer = env.required("SUARA_IDENTITY_ISSUER", "the token issuer (iss), e.g. https://sso.example/realms/kediri")
        url = env.text("SUARA_IDENTITY_JWKS_URL", "")
        file = env.text("SUARA_IDENTITY_JWKS_FILE", "")
        if url and file:
            raise InvalidSetting("SUARA_IDENTITY_JWKS_FILE", file, "unset when SUARA_IDENTITY_JWKS_URL is set")
        if not url and not file:
            raise MissingSetting(
                "SUARA_IDENTITY_JWKS_URL",
                "the IdP's JWKS URL; or SUARA_IDENTITY_JWKS_FILE for a local JWKS/PEM file (development)",
            )
        if url and not url.lower().startswith(("https://", "http://")):
            raise InvalidSetting("SUARA_IDENTITY_JWKS_URL", url, "an https:// (or http://) URL")
        raw_algorithms = env.text("SUARA_IDENTITY_ALGORITHMS", ",".join(SUPPORTED_ALGORITHMS))
        algorithms = tuple(a.strip() for a in raw_algorithms.split(",") if a.strip())
        if not algorithms or any(a not in SUPPORTED_ALGORITHMS for a in algorithms):
            expected = f"some of {','.join(SUPPORTED_ALGORITHMS)}"
            raise InvalidSetting("SUARA_IDENTITY_ALGORITHMS", raw_algorithms, expected)
        default = ClaimsMapping()
        integrator_claim = env.text("SUARA_IDENTITY_INTEGRATOR_CLAIM", "")
        return cls(
            issuer=issuer,
            audience=env.text("SUARA_IDENTITY_AUDIENCE", DEFAULT_AUDIENCE),
            jwks_url=url or None,
            jwks_file=Path(file) if file else None,
            algorithms=algorithms,
            leeway_seconds=env.integer("SUARA_IDENTITY_LEEWAY_SECONDS", 30, minimum=0),
            jwks_cache_seconds=env.integer("SUARA_IDENTITY_JWKS_CACHE_SECONDS", 300, minimum=1),
            claims=ClaimsMapping(
                role_claim=env.text("SUARA_IDENTITY_ROLE_CLAIM", default.role_claim),
                realm_role_prefix=env.text("SUARA_IDENTITY_REALM_ROLE_PREFIX", default.realm_role_prefix),
                opd_claim=env.text("SUARA_IDENTITY_OPD_CLAIM", default.opd_claim),
                integrator_claims=(integrator_claim,) if integrator_claim else default.integrator_claims,
            ),
        )

    def verifier(self) -> TokenVerifier:
        """The verifier these settings describe (reads a keys file now, so a missing one fails at start-up)."""
        return TokenVerifier(
            key_source(self.jwks_url, self.jwks_file, cache_seconds=self.jwks_cache_seconds),
            issuer=self.issuer,
            audience=self.audience,
            algorithms=self.algorithms,
            leeway_seconds=self.leeway_seconds,
            claims=self.claims,
        )
