import os
import signal
import sys
from pathlib import Path

import pytest
from suara_infra.components import Component
from suara_infra.probes import Outcome
from suara_infra.processes import InfraError, PidFile, is_alive, spawn
from suara_infra.supervisor import Supervisor


class FakeComponent(Component):
    """A real background process (a sleeping Python) whose health the test decides."""

    def __init__(self, name: str, run_dir: Path, healthy_after: int = 0, dies: bool = False) -> None:
        self.name = name
        self.run_dir = run_dir
        self.healthy_after = healthy_after  # probes answered unhealthy before the first healthy one
        self.dies = dies
        self.probes = 0
        self.launches = 0

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.run_dir / f"{self.name}.pid", marker=f"--fake={self.name}")

    @property
    def logs(self) -> list[Path]:
        return [self.run_dir / f"{self.name}.log"]

    @property
    def address(self) -> str:
        return f"fake:{self.name}"

    def launch(self, say) -> int:
        self.launches += 1
        body = (
            "import sys; print('boom: bad config', flush=True); sys.exit(1)"
            if self.dies
            else "import time; time.sleep(60)"
        )
        return spawn([sys.executable, "-c", body, f"--fake={self.name}"], self.pid_file, self.logs[0])

    def probe(self) -> Outcome:
        self.probes += 1
        return Outcome(self.probes > self.healthy_after, f"probe {self.probes}")


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def supervisor(tmp_path: Path, said: list[str]) -> Supervisor:
    return Supervisor(tmp_path / ".lock", said.append, start_timeout=3, stop_timeout=5, sleep=lambda _: None)


@pytest.fixture
def components(tmp_path: Path):
    made: list[FakeComponent] = []

    def make(name: str, **kwargs: object) -> FakeComponent:
        component = FakeComponent(name, tmp_path, **kwargs)  # type: ignore[arg-type]
        made.append(component)
        return component

    yield make
    for component in made:
        pid = component.pid_file.live_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)


def test_start_launches_what_is_not_running_and_waits_until_healthy(supervisor, components, said) -> None:
    broker, store = components("broker", healthy_after=2), components("store")
    supervisor.start([broker, store])
    assert broker.launches == store.launches == 1
    assert broker.probes == 3
    assert any(line.startswith("broker is healthy (pid ") for line in said)


def test_start_leaves_a_healthy_running_component_alone(supervisor, components, said) -> None:
    broker = components("broker")
    supervisor.start([broker])
    pid = broker.pid_file.live_pid()
    supervisor.start([broker])
    assert broker.launches == 1
    assert broker.pid_file.live_pid() == pid
    assert said[-1] == f"broker already running and healthy (pid {pid}, fake:broker)"


def test_a_stale_pid_file_does_not_stop_a_start(supervisor, components) -> None:
    broker = components("broker")
    broker.pid_file.write(999_999_999 % 4_000_000)  # nobody, or somebody without our marker
    supervisor.start([broker])
    assert broker.launches == 1


def test_a_component_that_dies_while_starting_is_reported_with_its_log(supervisor, components) -> None:
    broken = components("broken", dies=True, healthy_after=10**6)
    with pytest.raises(InfraError) as failure:
        supervisor.start([broken])
    message = str(failure.value)
    assert message.startswith(f"broken exited during startup; read {broken.logs[0]}")
    assert "boom: bad config" in message


def test_a_component_that_never_gets_healthy_is_stopped_and_reported(tmp_path, components, said) -> None:
    supervisor = Supervisor(tmp_path / ".lock", said.append, start_timeout=0.3, stop_timeout=5)
    slow = components("slow", healthy_after=10**6)
    with pytest.raises(InfraError, match=r"slow failed to start \(last probe: probe \d+\); read "):
        supervisor.start([slow])
    assert slow.pid_file.live_pid() is None
    assert not slow.pid_file.path.exists()


def test_a_dependency_is_healthy_before_the_next_is_launched(supervisor, components) -> None:
    order: list[str] = []
    database, server = components("database", healthy_after=1), components("server")
    database_probe, server_launch = database.probe, server.launch

    def probe() -> Outcome:
        outcome = database_probe()
        order.append(f"probe database {bool(outcome)}")
        return outcome

    def launch(say) -> int:
        order.append("launch server")
        return server_launch(say)

    database.probe, server.launch = probe, launch  # type: ignore[method-assign]
    supervisor.start([database, server], wait_before_next=[database])
    assert order == ["probe database False", "probe database True", "launch server"]


def test_stop_stops_in_the_order_given_and_forgets_the_pid(supervisor, components, said) -> None:
    first, second = components("first"), components("second")
    supervisor.start([first, second])
    pids = [first.pid_file.live_pid(), second.pid_file.live_pid()]
    supervisor.stop([second, first])
    assert [line for line in said if line.endswith(" stopped")] == ["second stopped", "first stopped"]
    assert not any(is_alive(pid) for pid in pids if pid)
    assert not first.pid_file.path.exists()


def test_status_says_running_starting_or_stopped(supervisor, components) -> None:
    up, coming, down = components("up"), components("coming", healthy_after=10**6), components("down")
    supervisor.start([up])
    coming.pid_file.write(spawn_sleeper(coming))
    rows = {row.name: row for row in supervisor.status([up, coming, down])}
    assert rows["up"].state == "running"
    assert rows["coming"].state == "starting"
    assert rows["down"].state == "stopped"
    assert rows["down"].pid is None


def spawn_sleeper(component: FakeComponent) -> int:
    return component.launch(lambda _: None)


def test_a_port_taken_by_a_stranger_is_named_with_the_variable_to_set(tmp_path, components) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        broker = components("broker")
        broker.__class__ = type("Ported", (FakeComponent,), {"ports": property(lambda self: [port])})
        supervisor = Supervisor(tmp_path / ".lock", print, 3, 5, port_hint=lambda _: "SUARA_KAFKA_PORT")
        with pytest.raises(
            InfraError, match=f"port {port} is already in use by another process \\(set SUARA_KAFKA_PORT\\)"
        ):
            supervisor.start([broker])
        assert broker.launches == 0
