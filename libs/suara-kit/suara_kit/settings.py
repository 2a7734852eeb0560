"""Configuration read once from the environment into frozen objects; missing settings fail fast by name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class MissingSetting(RuntimeError):
    """A required environment variable is unset or empty."""

    def __init__(self, name: str, hint: str = "") -> None:
        super().__init__(f"missing configuration: set {name}" + (f" ({hint})" if hint else ""))
        self.name = name


class InvalidSetting(RuntimeError):
    """An environment variable has a value that cannot be used."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"invalid configuration: {name}={value!r}, expected {expected}")
        self.name = name


class Env:
    """Typed reads from an environment mapping (os.environ by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def required(self, name: str, hint: str = "") -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            raise MissingSetting(name, hint)
        return value

    def text(self, name: str, default: str) -> str:
        value = self._environ.get(name, "").strip()
        return value or default

    def integer(self, name: str, default: int, minimum: int | None = None) -> int:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidSetting(name, raw, "an integer") from None
        if minimum is not None and value < minimum:
            raise InvalidSetting(name, raw, f"an integer >= {minimum}")
        return value


@dataclass(frozen=True)
class CommonSettings:
    """What every Suara service needs: where the log and the store are, and how to log."""

    kafka_bootstrap: str
    mongo_url: str
    mongo_database: str
    events_topic: str
    deadletter_topic: str
    topic_partitions: int
    topic_replication: int
    log_level: str

    @classmethod
    def from_env(cls, env: Env | None = None) -> CommonSettings:
        env = env or Env()
        return cls(
            kafka_bootstrap=env.required("SUARA_KAFKA_BOOTSTRAP", "host:port[,host:port] of the Kafka brokers"),
            mongo_url=env.required("SUARA_MONGO_URL", "mongodb://host:port/ of MongoDB or FerretDB"),
            mongo_database=env.text("SUARA_MONGO_DB", "suara"),
            events_topic=env.text("SUARA_EVENTS_TOPIC", "suara.complaints.events.v1"),
            deadletter_topic=env.text("SUARA_DEADLETTER_TOPIC", "suara.complaints.deadletter.v1"),
            topic_partitions=env.integer("SUARA_TOPIC_PARTITIONS", 3, minimum=1),
            topic_replication=env.integer("SUARA_TOPIC_REPLICATION", 1, minimum=1),
            log_level=env.text("SUARA_LOG_LEVEL", "INFO").upper(),
        )
