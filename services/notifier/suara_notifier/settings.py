"""Notifier settings, read once from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from suara_kit.settings import CommonSettings, Env


@dataclass(frozen=True)
class NotifierSettings:
    common: CommonSettings
    health_listen: str
    staff_directory: Path
    smtp_host: str
    smtp_port: int
    mail_from: str
    catalogue_dir: Path  # categories.toml: the [sla] deadline budgets
    calendar_dir: Path  # id-holidays-YYYY.toml: the working-day calendar

    @classmethod
    def from_env(cls, env: Env | None = None) -> NotifierSettings:
        env = env or Env()
        staff_directory = Path(env.required("SUARA_STAFF_DIRECTORY", "path of staff.toml: who to alert per agency"))
        # staff.toml sits in the catalogue folder (data/kota-kediri), beside categories.toml; the calendar beside it.
        catalogue = Path(env.text("SUARA_CATALOGUE_DIR", str(staff_directory.parent)))
        return cls(
            common=CommonSettings.from_env(env),
            health_listen=env.text("SUARA_NOTIFIER_HEALTH_LISTEN", "127.0.0.1:15053"),
            staff_directory=staff_directory,
            smtp_host=env.required("SUARA_SMTP_HOST", "the mail server the notifier sends alerts through"),
            smtp_port=env.integer("SUARA_SMTP_PORT", 25, minimum=1),
            mail_from=env.text("SUARA_MAIL_FROM", "suara@kedirikota.example"),
            catalogue_dir=catalogue,
            calendar_dir=Path(env.text("SUARA_CALENDAR_DIR", str(catalogue.parent / "calendar"))),
        )
