"""Audit settings, read once from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from suara_kit.settings import CommonSettings, Env, InvalidSetting

DEFAULT_ORIGIN = "kedirikota.go.id/suara/audit"


@dataclass(frozen=True)
class AuditSettings:
    common: CommonSettings
    listen: str
    origin: str
    signing_key_file: Path
    checkpoint_every: int
    checkpoint_interval_s: int
    lease_ttl_s: int
    consumer_group: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> AuditSettings:
        env = env or Env()
        origin = env.text("SUARA_AUDIT_ORIGIN", DEFAULT_ORIGIN)
        if any(c.isspace() for c in origin):
            raise InvalidSetting("SUARA_AUDIT_ORIGIN", origin, "one word without spaces, e.g. " + DEFAULT_ORIGIN)
        # Key sources: a file today. A KMS-held key plugs in as a NoteSigner (domain/note.py) chosen in bootstrap.
        key_file = env.required(
            "SUARA_AUDIT_SIGNING_KEY_FILE",
            "a file holding the log's Ed25519 signer key; create one with `suara-audit keygen --out FILE`",
        )
        return cls(
            common=CommonSettings.from_env(env),
            listen=env.text("SUARA_AUDIT_LISTEN", "127.0.0.1:15054"),
            origin=origin,
            signing_key_file=Path(key_file),
            checkpoint_every=env.integer("SUARA_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1),
            checkpoint_interval_s=env.integer("SUARA_AUDIT_CHECKPOINT_INTERVAL_S", 10, minimum=1),
            lease_ttl_s=env.integer("SUARA_AUDIT_LEASE_TTL_S", 15, minimum=3),
            # One group per log: a second log (another database) over the same topic needs its own group.
            consumer_group=env.text("SUARA_AUDIT_CONSUMER_GROUP", "suara-audit"),
        )
