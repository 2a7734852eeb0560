"""`suara-infra`: the local broker and store (Kafka; FerretDB on PostgreSQL or SQLite) that `make run`, the
integration tests and the benchmark talk to."""

from __future__ import annotations

from .components import Component, Say
from .ferretdb import FerretDB
from .kafka import Kafka
from .postgres import Postgres
from .processes import InfraError
from .settings import InfraSettings
from .supervisor import Status, Supervisor

COMPONENT_NAMES = ("kafka", "postgres", "ferretdb")
PORT_VARIABLES = {
    "kafka": "SUARA_KAFKA_PORT / SUARA_KAFKA_CONTROLLER_PORT",
    "ferretdb": "SUARA_FERRETDB_PORT",
}


class Infra:
    def __init__(self, settings: InfraSettings, say: Say) -> None:
        self.settings = settings
        self.say = say
        self.kafka = Kafka(settings)
        self.postgres = Postgres(settings)
        self.ferretdb = FerretDB(settings, self.postgres)
        self.supervisor = Supervisor(
            settings.run_dir / ".infra.lock",
            say,
            start_timeout=settings.timeout,
            stop_timeout=settings.stop_timeout,
            port_hint=lambda c: PORT_VARIABLES.get(c.name, ""),
        )

    @property
    def all(self) -> list[Component]:
        """Every component this backend uses, in start order."""
        if self.settings.backend == "postgresql":
            return [self.kafka, self.postgres, self.ferretdb]
        return [self.kafka, self.ferretdb]

    def select(self, target: str, for_start: bool) -> list[Component]:
        """The components `target` names, in start order. Starting FerretDB on PostgreSQL starts PostgreSQL too."""
        if target == "all":
            # Stopping stops PostgreSQL even if the backend has since been switched to SQLite.
            return self.all if for_start else [self.kafka, self.postgres, self.ferretdb]
        if target not in COMPONENT_NAMES:
            raise InfraError(f"unknown component {target!r} (expected kafka, postgres, ferretdb or all)")
        if target == "postgres" and for_start and self.settings.backend != "postgresql":
            raise InfraError("postgres is not used with SUARA_FERRETDB_BACKEND=sqlite")
        if target == "ferretdb" and for_start and self.settings.backend == "postgresql":
            return [self.postgres, self.ferretdb]
        return [c for c in (self.kafka, self.postgres, self.ferretdb) if c.name == target]

    def install(self) -> None:
        for component in self.all:
            component.install(self.say)
        self.say(
            f"installed: Kafka {self.settings.kafka_version} ({self.kafka.lib}), "
            f"FerretDB {self.settings.ferretdb_version} ({self.ferretdb.binary}), backend {self.settings.backend}"
        )

    def start(self, target: str = "all") -> None:
        components = self.select(target, for_start=True)
        self.supervisor.start(components, wait_before_next=[self.postgres])
        self.say(f"logs: {self.settings.log_dir}")

    def stop(self, target: str = "all") -> None:
        self.supervisor.stop(list(reversed(self.select(target, for_start=False))))

    def status(self) -> list[Status]:
        return self.supervisor.status(self.all)

    def env(self) -> dict[str, str]:
        return {"SUARA_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap, "SUARA_MONGO_URL": self.settings.mongo_url}
