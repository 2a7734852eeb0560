from pathlib import Path

import pytest
from suara_infra.settings import REPO, SettingsError, load


def test_defaults_are_make_runs() -> None:
    settings = load({}, cwd=Path("/somewhere"))
    assert settings.state_dir == REPO / "var/local"
    assert settings.cache_dir == REPO / ".cache"
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.mongo_url == "mongodb://127.0.0.1:27017/"
    assert settings.backend == "postgresql"
    assert settings.ferretdb_debug_port is None
    assert settings.run_dir == REPO / "var/local/run"


def test_the_tests_ports_and_a_relative_state_dir_resolve_against_the_working_directory() -> None:
    env = {"SUARA_STATE_DIR": "var/test", "SUARA_KAFKA_PORT": "19092", "SUARA_FERRETDB_PORT": "17017"}
    settings = load(env, cwd=Path("/work/repo"))
    assert settings.state_dir == Path("/work/repo/var/test")
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.mongo_url == "mongodb://127.0.0.1:17017/"


def test_heap_options_are_split_into_jvm_flags() -> None:
    assert load({"SUARA_KAFKA_HEAP_OPTS": "-Xms64m  -Xmx128m"}).kafka_heap_opts == ("-Xms64m", "-Xmx128m")


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("SUARA_KAFKA_PORT", "ninety", "SUARA_KAFKA_PORT='ninety': expected a port number"),
        ("SUARA_FERRETDB_PORT", "70000", "between 1 and 65535"),
        ("SUARA_INFRA_TIMEOUT", "-3", "SUARA_INFRA_TIMEOUT='-3': expected a positive number of seconds"),
        ("SUARA_FERRETDB_BACKEND", "mysql", "SUARA_FERRETDB_BACKEND='mysql': expected one of postgresql, sqlite"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str, complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        load({name: value})
