import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from suara_infra.processes import PidFile, exclusive_lock, is_alive, log_tail, spawn, terminate

# SIGINT back to Python's default: a process started from a background job inherits SIGINT ignored (as CI and
# `make test &` may start us), and the test is about terminate()'s signal, not about that inheritance.
SLEEPER = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); print('ready', flush=True); "
    "time.sleep(60)",
    "--suara-test-marker",
]


@pytest.fixture
def sleeper(tmp_path: Path):
    pid_file = PidFile(tmp_path / "run" / "sleeper.pid", marker="--suara-test-marker")
    pid = spawn(SLEEPER, pid_file, tmp_path / "log" / "sleeper.log")
    yield pid_file, pid
    if is_alive(pid):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_a_spawned_process_is_recorded_and_recognised_at_once(sleeper) -> None:
    pid_file, pid = sleeper
    assert pid_file.path.read_text() == f"{pid}\n"
    assert pid_file.live_pid() == pid


def test_a_missing_pid_file_means_not_running(tmp_path: Path) -> None:
    assert PidFile(tmp_path / "x.pid", marker="x").live_pid() is None


def test_a_pid_file_of_a_dead_process_is_stale_and_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file = PidFile(tmp_path / "x.pid", marker="true")
    pid_file.write(dead.pid)
    assert pid_file.live_pid() is None
    assert not pid_file.path.exists()


def test_a_pid_now_used_by_another_program_is_not_ours(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "x.pid", marker="--state-dir=/nowhere")
    pid_file.write(os.getpid())  # alive, but its command line lacks the marker
    assert pid_file.live_pid() is None
    assert not pid_file.path.exists()


def test_garbage_in_a_pid_file_reads_as_not_running(tmp_path: Path) -> None:
    path = tmp_path / "x.pid"
    path.write_text("not a pid\n")
    assert PidFile(path, marker="x").live_pid() is None


def test_a_killed_process_not_yet_reaped_counts_as_dead(tmp_path: Path) -> None:
    child = subprocess.Popen(SLEEPER)
    os.kill(child.pid, signal.SIGKILL)
    time.sleep(0.3)  # a zombie now: killed, not reaped
    assert not is_alive(child.pid)
    child.wait()


def test_terminate_stops_with_the_given_signal(sleeper) -> None:
    pid_file, pid = sleeper
    log = pid_file.path.parent.parent / "log" / "sleeper.log"
    deadline = time.monotonic() + 30  # on a busy machine Python takes a while to start: signal it once it listens
    while "ready" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert terminate(pid, timeout=10, stop_signal=signal.SIGINT)
    assert not is_alive(pid)


def test_terminate_kills_what_ignores_its_stop_signal(tmp_path: Path) -> None:
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
    ]
    pid = spawn(stubborn, PidFile(tmp_path / "s.pid", marker="SIG_IGN"), tmp_path / "s.log")
    time.sleep(0.5)  # let it install its handler
    assert terminate(pid, timeout=0.5) is False
    assert not is_alive(pid)


def test_the_spawned_output_goes_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "echo.log"
    pid = spawn([sys.executable, "-c", "print('hello from the child')"], PidFile(tmp_path / "e.pid", "x"), log)
    os.waitpid(pid, 0)
    assert "hello from the child" in log.read_text()


def test_a_program_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    from suara_infra.processes import InfraError

    with pytest.raises(InfraError, match="could not start /no/such/program"):
        spawn(["/no/such/program"], PidFile(tmp_path / "n.pid", "x"), tmp_path / "n.log")


def test_log_tail_frames_the_last_lines_and_is_empty_for_a_missing_file(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    tail = log_tail(log, lines=3)
    assert tail.startswith(f"---- last 3 lines of {log} ----\n")
    assert tail.endswith("line 97\nline 98\nline 99\n")
    assert log_tail(tmp_path / "missing.log") == ""


def test_the_lock_is_exclusive_between_processes(tmp_path: Path) -> None:
    lock = tmp_path / "run" / ".lock"
    script = (
        "import fcntl, sys; f = open(sys.argv[1], 'a')\n"
        "try:\n    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(3)\n"
    )
    with exclusive_lock(lock):
        assert subprocess.run([sys.executable, "-c", script, str(lock)], check=False).returncode == 3
    assert subprocess.run([sys.executable, "-c", script, str(lock)], check=False).returncode == 0
