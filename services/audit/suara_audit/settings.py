"""Audit settings, read once from the environment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from suara_kit.identity import IdentitySettings
from suara_kit.settings import CommonSettings, Env, InvalidSetting, MissingSetting

DEFAULT_ORIGIN = "kedirikota.go.id/suara/audit"
KEY_FILES = "SUARA_AUDIT_SIGNING_KEY_FILE"
SIGNER_FACTORY = "SUARA_AUDIT_SIGNER_FACTORY"
_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
_FACTORY = re.compile(rf"{_DOTTED}:{_DOTTED}")


@dataclass(frozen=True)
class AuditSettings:
    common: CommonSettings
    listen: str
    origin: str
    # The log's signing keys: every checkpoint and export manifest is signed by each (several during a rotation).
    signing_key_files: tuple[Path, ...]
    signer_factory: str | None  # "module:callable" returning a NoteSigner or a list of them (a KMS or HSM hook)
    checkpoint_every: int
    checkpoint_interval_s: int
    lease_ttl_s: int
    consumer_group: str
    identity: IdentitySettings  # every call is authenticated (docs/identity.md, docs/audit/access.md)

    @classmethod
    def from_env(cls, env: Env | None = None) -> AuditSettings:
        env = env or Env()
        origin = env.text("SUARA_AUDIT_ORIGIN", DEFAULT_ORIGIN)
        if any(c.isspace() for c in origin):
            raise InvalidSetting("SUARA_AUDIT_ORIGIN", origin, "one word without spaces, e.g. " + DEFAULT_ORIGIN)
        key_files = tuple(Path(f.strip()) for f in env.text(KEY_FILES, "").split(",") if f.strip())
        factory = env.text(SIGNER_FACTORY, "") or None
        if factory is not None and not _FACTORY.fullmatch(factory):
            raise InvalidSetting(
                SIGNER_FACTORY, factory, "module:callable, e.g. suara_kms.signers:audit_signer (a NoteSigner factory)"
            )
        if not key_files and factory is None:
            raise MissingSetting(
                KEY_FILES,
                "a file holding the log's Ed25519 signer key, or several separated by commas during a key rotation;"
                " create one with `suara-audit keygen --out FILE`. Or set "
                f"{SIGNER_FACTORY}=module:callable for a key held in a KMS",
            )
        return cls(
            common=CommonSettings.from_env(env),
            listen=env.text("SUARA_AUDIT_LISTEN", "127.0.0.1:15054"),
            origin=origin,
            signing_key_files=key_files,
            signer_factory=factory,
            checkpoint_every=env.integer("SUARA_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1),
            checkpoint_interval_s=env.integer("SUARA_AUDIT_CHECKPOINT_INTERVAL_S", 10, minimum=1),
            lease_ttl_s=env.integer("SUARA_AUDIT_LEASE_TTL_S", 15, minimum=3),
            # One group per log: a second log (another database) over the same topic needs its own group.
            consumer_group=env.text("SUARA_AUDIT_CONSUMER_GROUP", "suara-audit"),
            identity=IdentitySettings.from_env(env),
        )
