"""Intake's settings, read once from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from suara_kit.identity import IdentitySettings
from suara_kit.settings import CommonSettings, Env


@dataclass(frozen=True)
class IntakeSettings:
    common: CommonSettings
    identity: IdentitySettings  # every call is authenticated (docs/identity.md)
    listen: str
    catalogue_dir: Path
    calendar_dir: Path  # id-holidays-YYYY.toml: the working-day calendar a new complaint's first deadline counts on

    @classmethod
    def from_env(cls, env: Env | None = None) -> IntakeSettings:
        env = env or Env()
        catalogue = Path(env.required("SUARA_CATALOGUE_DIR", "the folder holding categories.toml and wilayah.toml"))
        return cls(
            common=CommonSettings.from_env(env),
            identity=IdentitySettings.from_env(env),
            listen=env.text("SUARA_INTAKE_LISTEN", "127.0.0.1:15051"),
            catalogue_dir=catalogue,
            calendar_dir=Path(env.text("SUARA_CALENDAR_DIR", str(catalogue.parent / "calendar"))),
        )
