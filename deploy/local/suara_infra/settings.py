"""Where everything lives and which ports it uses: parsed once from the environment into a frozen object.

Every variable is optional; the defaults are `make run`'s. Two runners side by side (the running stack, the tests,
the benchmark) differ only in SUARA_STATE_DIR and the ports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

BACKENDS = ("postgresql", "sqlite")

# Pinned versions: newest 3.9.x on Maven Central, newest v1.24.x on the Go module proxy.
KAFKA_VERSION = "3.9.2"
FERRETDB_VERSION = "v1.24.2"


class SettingsError(ValueError):
    """A variable has a value the runner cannot use; the message names the variable."""


@dataclass(frozen=True)
class InfraSettings:
    repo: Path
    cache_dir: Path
    state_dir: Path
    kafka_version: str
    kafka_port: int
    kafka_controller_port: int
    kafka_heap_opts: tuple[str, ...]
    kafka_tool_heap_opts: tuple[str, ...]
    ferretdb_version: str
    ferretdb_port: int
    ferretdb_debug_port: int | None
    backend: str
    postgres_port: int
    postgres_system_user: str
    timeout: float
    stop_timeout: float

    @property
    def run_dir(self) -> Path:
        """Pid files of everything the runner starts, infrastructure and services alike."""
        return self.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "log"

    @property
    def kafka_home(self) -> Path:
        return self.cache_dir / f"kafka-{self.kafka_version}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ferretdb_port}/"


def load(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> InfraSettings:
    env = os.environ if environ is None else environ
    here = Path.cwd() if cwd is None else cwd
    backend = env.get("SUARA_FERRETDB_BACKEND", "postgresql")
    if backend not in BACKENDS:
        raise SettingsError(f"SUARA_FERRETDB_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}")
    debug = env.get("SUARA_FERRETDB_DEBUG_PORT", "")
    return InfraSettings(
        repo=REPO,
        cache_dir=_directory(env, "SUARA_CACHE_DIR", REPO / ".cache", here),
        state_dir=_directory(env, "SUARA_STATE_DIR", REPO / "var/local", here),
        kafka_version=env.get("SUARA_KAFKA_VERSION", KAFKA_VERSION),
        kafka_port=port(env, "SUARA_KAFKA_PORT", 9092),
        kafka_controller_port=port(env, "SUARA_KAFKA_CONTROLLER_PORT", 9093),
        kafka_heap_opts=tuple(env.get("SUARA_KAFKA_HEAP_OPTS", "-Xms256m -Xmx1g").split()),
        kafka_tool_heap_opts=tuple(env.get("SUARA_KAFKA_TOOL_HEAP_OPTS", "-Xmx512m").split()),
        ferretdb_version=env.get("SUARA_FERRETDB_VERSION", FERRETDB_VERSION),
        ferretdb_port=port(env, "SUARA_FERRETDB_PORT", 27017),
        ferretdb_debug_port=port(env, "SUARA_FERRETDB_DEBUG_PORT", 0) if debug else None,
        backend=backend,
        # PostgreSQL listens on a Unix socket in the state dir only (no TCP port to collide); this number names
        # the socket file.
        postgres_port=port(env, "SUARA_POSTGRES_PORT", 5432),
        postgres_system_user=env.get("SUARA_POSTGRES_SYSTEM_USER", "suara-postgres"),
        timeout=seconds(env, "SUARA_INFRA_TIMEOUT", 120),
        stop_timeout=seconds(env, "SUARA_INFRA_STOP_TIMEOUT", 30),
    )


def port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a port number") from None
    if not 0 < value < 65536:
        raise SettingsError(f"{name}={raw!r}: expected a port number between 1 and 65535")
    return value


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a number of seconds") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r}: expected a positive number of seconds")
    return value


def _directory(env: Mapping[str, str], name: str, default: Path, cwd: Path) -> Path:
    """Relative overrides become absolute: the processes started run with another working directory."""
    raw = env.get(name)
    if not raw:
        return default
    path = Path(raw)
    return path if path.is_absolute() else cwd / path
