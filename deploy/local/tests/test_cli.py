from pathlib import Path

import pytest
from suara_infra.cli import main, status_lines
from suara_infra.infra import Infra
from suara_infra.postgres import socket_dir_for
from suara_infra.processes import InfraError
from suara_infra.settings import load
from suara_infra.stack import Stack
from suara_infra.supervisor import Status

TEST_ENV = {"SUARA_STATE_DIR": "/tmp/suara-cli-test", "SUARA_KAFKA_PORT": "19092", "SUARA_FERRETDB_PORT": "17017"}


def test_infra_env_names_this_instances_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infra", "env"], TEST_ENV) == 0
    assert (
        capsys.readouterr().out == "SUARA_KAFKA_BOOTSTRAP=127.0.0.1:19092\nSUARA_MONGO_URL=mongodb://127.0.0.1:17017/\n"
    )


def test_without_a_program_it_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], {}) == 2
    assert "usage: python -m suara_infra {infra|stack}" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["infra", "start", "zookeeper"], ["infra", "launch"], ["stack", "start", "web"]])
def test_unknown_commands_and_components_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv, TEST_ENV)
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_bad_setting_is_one_clear_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infra", "status"], {**TEST_ENV, "SUARA_FERRETDB_PORT": "abc"}) == 1
    assert capsys.readouterr().err == "suara-infra: error: SUARA_FERRETDB_PORT='abc': expected a port number\n"


def test_kafka_class_needs_a_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infra", "kafka-class"], TEST_ENV) == 1
    assert "usage: suara-infra kafka-class CLASS [ARGS...]" in capsys.readouterr().err


def test_status_of_a_fresh_state_dir_says_stopped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infra", "status"], {**TEST_ENV, "SUARA_STATE_DIR": str(tmp_path)}) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["kafka", "stopped"],
        ["postgres", "stopped"],
        ["ferretdb", "stopped"],
    ]


def test_status_lines_show_why_a_component_is_still_starting() -> None:
    rows = [Status("kafka", "starting", 42, "127.0.0.1:9092", Path("/l/kafka.log"), "no broker is registered yet")]
    assert status_lines(rows) == [
        "kafka     starting pid=42       127.0.0.1:9092           log=/l/kafka.log  (no broker is registered yet)"
    ]


def infra(backend: str) -> Infra:
    return Infra(load({**TEST_ENV, "SUARA_FERRETDB_BACKEND": backend}), lambda _: None)


def test_starting_ferretdb_on_postgresql_starts_postgresql_first() -> None:
    assert [c.name for c in infra("postgresql").select("ferretdb", for_start=True)] == ["postgres", "ferretdb"]
    assert [c.name for c in infra("postgresql").select("all", for_start=True)] == ["kafka", "postgres", "ferretdb"]
    assert [c.name for c in infra("postgresql").select("ferretdb", for_start=False)] == ["ferretdb"]


def test_the_sqlite_backend_needs_no_postgresql_but_stop_all_still_stops_one() -> None:
    assert [c.name for c in infra("sqlite").select("all", for_start=True)] == ["kafka", "ferretdb"]
    assert [c.name for c in infra("sqlite").select("all", for_start=False)] == ["kafka", "postgres", "ferretdb"]
    with pytest.raises(InfraError, match="postgres is not used with SUARA_FERRETDB_BACKEND=sqlite"):
        infra("sqlite").select("postgres", for_start=True)


def test_ferretdb_is_pointed_at_postgresqls_socket() -> None:
    running = infra("postgresql")
    assert running.postgres.url == "postgres://postgres@/postgres?host=/tmp/suara-cli-test/postgres/socket&port=5432"


def test_a_state_dir_too_deep_for_a_unix_socket_gets_a_short_socket_dir_of_its_own() -> None:
    deep = Path("/very/" + "deep/" * 30 + "state")
    chosen = socket_dir_for(deep, 5432)
    assert len(str(chosen / ".s.PGSQL.5432")) <= 100
    assert chosen != socket_dir_for(deep / "other", 5432)
    assert socket_dir_for(Path("/w/var/test"), 5432) == Path("/w/var/test/postgres/socket")


def test_the_services_get_local_defaults_and_the_callers_settings_win(tmp_path: Path) -> None:
    env = {**TEST_ENV, "SUARA_STATE_DIR": str(tmp_path), "SUARA_SMTP_PORT": "12025"}
    stack = Stack(load(env), env, lambda _: None)
    settings = stack.environment()
    assert settings["SUARA_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092"
    assert settings["SUARA_SMTP_PORT"] == "12025"
    assert settings["SUARA_INTAKE_LISTEN"] == "127.0.0.1:15051"
    assert settings["SUARA_MAILDIR"] == f"{tmp_path}/mail"
    assert not stack.external_infra
    assert stack.services["mailsink"].command[-4:] == ["--port", "12025", "--maildir", f"{tmp_path}/mail"]
    assert stack.services["intake"].command[-1] == "serve"


def test_naming_a_broker_or_store_means_no_local_infrastructure(tmp_path: Path) -> None:
    env = {**TEST_ENV, "SUARA_STATE_DIR": str(tmp_path), "SUARA_MONGO_URL": "mongodb://db:27017/"}
    stack = Stack(load(env), env, lambda _: None)
    assert stack.external_infra
    assert stack.environment()["SUARA_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092"


def test_pid_files_of_a_stack_started_by_the_shell_runner_are_adopted(tmp_path: Path) -> None:
    (tmp_path / "pids").mkdir()
    (tmp_path / "pids/intake.pid").write_text("12345\n")
    Stack(load({"SUARA_STATE_DIR": str(tmp_path)}), {"SUARA_STATE_DIR": str(tmp_path)}, lambda _: None)
    assert (tmp_path / "run/intake.pid").read_text() == "12345\n"
    assert not (tmp_path / "pids").exists()
