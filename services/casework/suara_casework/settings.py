"""Casework's settings, read once from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from suara_kit import clock
from suara_kit.identity import IdentitySettings
from suara_kit.settings import CommonSettings, Env


@dataclass(frozen=True)
class CaseworkSettings:
    common: CommonSettings
    identity: IdentitySettings
    listen: str
    catalogue_dir: Path  # categories.toml: the [sla] budgets
    calendar_dir: Path  # id-holidays-YYYY.toml: the working-day calendar
    clock_interval_seconds: float
    test_clock: str = "off"  # SUARA_TEST_CLOCK: "store" only in simulations and tests (suara_kit.clock)

    @classmethod
    def from_env(cls, env: Env | None = None) -> CaseworkSettings:
        env = env or Env()
        catalogue = Path(env.required("SUARA_CATALOGUE_DIR", "the folder holding categories.toml"))
        return cls(
            common=CommonSettings.from_env(env),
            identity=IdentitySettings.from_env(env),
            listen=env.text("SUARA_CASEWORK_LISTEN", "127.0.0.1:15055"),
            catalogue_dir=catalogue,
            calendar_dir=Path(env.text("SUARA_CALENDAR_DIR", str(catalogue.parent / "calendar"))),
            clock_interval_seconds=float(env.integer("SUARA_DEADLINE_CLOCK_SECONDS", 5, minimum=1)),
            test_clock=clock.mode_from_env(env),
        )
