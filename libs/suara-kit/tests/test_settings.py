"""Configuration: read once, and missing or unusable settings fail fast naming the variable."""

from __future__ import annotations

import pytest

from suara_kit.settings import CommonSettings, Env, InvalidSetting, MissingSetting

REQUIRED = {"SUARA_KAFKA_BOOTSTRAP": "127.0.0.1:9092", "SUARA_MONGO_URL": "mongodb://127.0.0.1:27017/"}


def test_common_settings_have_defaults_for_everything_but_kafka_and_mongo() -> None:
    settings = CommonSettings.from_env(Env(REQUIRED))

    assert settings == CommonSettings(
        kafka_bootstrap="127.0.0.1:9092",
        mongo_url="mongodb://127.0.0.1:27017/",
        mongo_database="suara",
        events_topic="suara.complaints.events.v1",
        deadletter_topic="suara.complaints.deadletter.v1",
        topic_partitions=3,
        topic_replication=1,
        log_level="INFO",
    )


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_a_missing_required_setting_fails_naming_the_variable(missing: str) -> None:
    environ = {**REQUIRED, missing: "   "}

    with pytest.raises(MissingSetting, match=f"missing configuration: set {missing} ") as raised:
        CommonSettings.from_env(Env(environ))

    assert raised.value.name == missing


@pytest.mark.parametrize(
    ("value", "expected"), [("three", "an integer"), ("0", "an integer >= 1")], ids=["not-a-number", "too-small"]
)
def test_an_unusable_number_fails_naming_the_variable_and_what_was_expected(value: str, expected: str) -> None:
    with pytest.raises(InvalidSetting) as raised:
        CommonSettings.from_env(Env({**REQUIRED, "SUARA_TOPIC_PARTITIONS": value}))

    assert raised.value.name == "SUARA_TOPIC_PARTITIONS"
    assert str(raised.value) == f"invalid configuration: SUARA_TOPIC_PARTITIONS={value!r}, expected {expected}"


def test_settings_values_are_trimmed_and_the_log_level_upper_cased() -> None:
    settings = CommonSettings.from_env(
        Env({**REQUIRED, "SUARA_TOPIC_REPLICATION": " 3 ", "SUARA_LOG_LEVEL": "debug", "SUARA_MONGO_DB": " s2 "})
    )

    assert (settings.topic_replication, settings.log_level, settings.mongo_database) == (3, "DEBUG", "s2")
