"""Starting, stopping and reporting a list of components, the same way for the infrastructure and the services."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .components import Component, Say
from .processes import InfraError, exclusive_lock, is_alive, log_tail, port_in_use, terminate


@dataclass(frozen=True)
class Status:
    name: str
    state: str  # running | starting | stopped
    pid: int | None
    address: str
    log: Path
    detail: str


class Supervisor:
    def __init__(
        self,
        lock: Path,
        say: Say,
        start_timeout: float,
        stop_timeout: float,
        port_hint: Callable[[Component], str] = lambda _: "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.lock = lock
        self.say = say
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port_hint = port_hint
        self.sleep = sleep

    def start(self, components: Sequence[Component], wait_before_next: Sequence[Component] = ()) -> None:
        """Launch every component not already running, in order, then wait until each is healthy.

        A component in `wait_before_next` (one the next ones need, such as PostgreSQL for FerretDB) is waited for
        before the next is launched. A component that dies or stays unhealthy is reported with its logs and stopped.
        """
        with exclusive_lock(self.lock):
            pending: list[Component] = []
            for component in components:
                pid = component.pid_file.live_pid()
                if pid is None:
                    self._check_ports(component)
                    pid = component.launch(self.say)
                    pending.append(component)
                elif component.probe():
                    self.say(f"{component.name} already running and healthy (pid {pid}, {component.address})")
                else:
                    pending.append(component)
                if component in wait_before_next and component in pending:
                    self.wait_healthy(component)
                    pending.remove(component)
            for component in pending:
                self.wait_healthy(component)

    def _check_ports(self, component: Component) -> None:
        for port in component.ports:
            if port_in_use(port):
                hint = self.port_hint(component)
                raise InfraError(
                    f"cannot start {component.name}: port {port} is already in use by another process"
                    + (f" (set {hint})" if hint else "")
                )

    def wait_healthy(self, component: Component) -> None:
        deadline = time.monotonic() + self.start_timeout
        logs = " and ".join(str(p) for p in component.logs)
        while True:
            pid = component.pid_file.live_pid()
            if pid is None:
                raise InfraError(f"{component.name} exited during startup; read {logs}\n{self._tails(component)}")
            outcome = component.probe()
            if outcome:
                self.say(f"{component.name} is healthy (pid {pid}, {component.address}, log {component.logs[0]})")
                return
            if time.monotonic() >= deadline:
                tails = self._tails(component)
                self.say(f"{component.name} did not become healthy within {self.start_timeout:.0f}s; stopping it")
                terminate(pid, self.stop_timeout, component.stop_signal)
                component.pid_file.remove()
                raise InfraError(
                    f"{component.name} failed to start (last probe: {outcome.detail}); read {logs}\n{tails}"
                )
            self.sleep(0.5)

    @staticmethod
    def _tails(component: Component) -> str:
        return "".join(log_tail(path) for path in component.logs)

    def stop(self, components: Sequence[Component], quiet_when_stopped: bool = False) -> None:
        """Stop each component in the order given (dependents first): its stop signal, then SIGKILL after the stop
        timeout."""
        with exclusive_lock(self.lock):
            for component in components:
                pid = component.pid_file.live_pid()
                if pid is None:
                    if not quiet_when_stopped:
                        self.say(f"{component.name} is not running")
                    continue
                self.say(f"stopping {component.name} (pid {pid})")
                if not terminate(pid, self.stop_timeout, component.stop_signal):
                    self.say(f"{component.name} (pid {pid}) did not stop within {self.stop_timeout:.0f}s: killed it")
                component.pid_file.remove()
                self.say(f"{component.name} stopped")

    @staticmethod
    def status(components: Sequence[Component]) -> list[Status]:
        rows = []
        for component in components:
            pid = component.pid_file.live_pid()
            if pid is None or not is_alive(pid):
                rows.append(Status(component.name, "stopped", None, component.address, component.logs[0], ""))
                continue
            outcome = component.probe()
            state = "running" if outcome else "starting"
            rows.append(Status(component.name, state, pid, component.address, component.logs[0], outcome.detail))
        return rows
