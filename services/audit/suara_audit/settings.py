"""Audit settings, read once from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from suara_kit.settings import CommonSettings, Env


@dataclass(frozen=True)
class AuditSettings:
    common: CommonSettings
    listen: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> AuditSettings:
        env = env or Env()
        return cls(common=CommonSettings.from_env(env), listen=env.text("SUARA_AUDIT_LISTEN", "127.0.0.1:15054"))
