"""Router settings, read once from the environment."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from suara_kit import clock
from suara_kit.settings import CommonSettings, Env


@dataclass(frozen=True)
class RouterSettings:
    common: CommonSettings
    health_listen: str
    catalogue_dir: Path
    calendar_dir: Path  # id-holidays-YYYY.toml: the working-day calendar re-dispatch deadlines count on
    # Faust keeps small local state files (its table and offset bookkeeping) here.
    data_dir: Path
    test_clock: str = "off"  # SUARA_TEST_CLOCK: "store" only in simulations and tests (suara_kit.clock)

    @classmethod
    def from_env(cls, env: Env | None = None) -> RouterSettings:
        env = env or Env()
        catalogue = Path(env.required("SUARA_CATALOGUE_DIR", "the folder holding agencies.toml and categories.toml"))
        return cls(
            common=CommonSettings.from_env(env),
            health_listen=env.text("SUARA_ROUTER_HEALTH_LISTEN", "127.0.0.1:15052"),
            catalogue_dir=catalogue,
            calendar_dir=Path(env.text("SUARA_CALENDAR_DIR", str(catalogue.parent / "calendar"))),
            data_dir=Path(env.text("SUARA_ROUTER_DATA_DIR", str(Path(tempfile.gettempdir()) / "suara-router"))),
            test_clock=clock.mode_from_env(env),
        )
