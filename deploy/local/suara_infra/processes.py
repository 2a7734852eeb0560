"""Background processes and their pid files: one scheme for the broker, the store and the services.

A pid file `<state>/run/<name>.pid` holds the process id and nothing else. A pid file is believed only if that
process is alive, is not a zombie and its command line contains the marker its starter expects (a config path,
a state dir, a program path), so a stale file left by a crash, or a pid the kernel has since given to another
program, reads as "not running" and is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


class InfraError(RuntimeError):
    """Something the runner was asked to do failed; the message says what and which log to read."""


@dataclass(frozen=True)
class PidFile:
    path: Path
    marker: str  # a string the running process's command line must contain

    def live_pid(self) -> int | None:
        """The pid of the live process this file names, or None (and the stale file removed)."""
        try:
            raw = self.path.read_text().strip()
        except FileNotFoundError:
            return None
        pid = int(raw) if raw.isdigit() else None
        if pid is not None and is_alive(pid) and self.marker in settled_command_line(pid):
            return pid
        self.path.unlink(missing_ok=True)
        return None

    def write(self, pid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".pid.tmp")
        temporary.write_text(f"{pid}\n")
        temporary.replace(self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def is_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (killed, not yet reaped: dead for our purposes)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user (PostgreSQL runs as its own user)
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "State:\tZ" not in status


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def settled_command_line(pid: int, patience: float = 1.0) -> str:
    """The command line, waiting briefly while it reads empty: a process in the middle of execve (just spawned) has
    no command line for a moment, and must not be taken for a stranger."""
    deadline = time.monotonic() + patience
    while True:
        line = command_line(pid)
        if line or time.monotonic() >= deadline or not is_alive(pid):
            return line
        time.sleep(0.02)


def spawn(
    command: Sequence[str],
    pid_file: PidFile,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start `command` detached (own session, stdin closed, output appended to `log`) and record its pid.

    Inherited file descriptors are closed (close_fds), so a long-lived daemon never holds the runner's lock files or
    a caller's pipes open.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.remove()
    with open(log, "ab") as out:
        try:
            process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                env=env,
                cwd=cwd,
                user=user,
            )
        except OSError as error:
            raise InfraError(f"could not start {command[0]}: {error}") from error
    pid_file.write(process.pid)
    return process.pid


def terminate(pid: int, timeout: float, stop_signal: signal.Signals = signal.SIGTERM) -> bool:
    """Send `stop_signal`, wait up to `timeout` seconds, then SIGKILL. False if it had to be killed."""
    try:
        os.kill(pid, stop_signal)
    except ProcessLookupError:
        return True
    if wait_for_exit(pid, timeout):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_for_exit(pid, 5)
    return False


def wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
        time.sleep(0.1)
    return True


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An advisory lock (flock) held for the block: one runner at a time installs or starts/stops per state dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, framed, or '' if it is missing or empty."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    if not text.strip():
        return ""
    tail = "\n".join(text.splitlines()[-lines:])
    return f"---- last {lines} lines of {path} ----\n{tail}\n"
