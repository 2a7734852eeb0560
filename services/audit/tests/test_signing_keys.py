"""Where the log's signing keys come from: key files (several during a rotation) and a KMS hook named in settings,
each checked at start with an error naming the variable."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import fake_kms
import pytest

from suara_audit.adapters.signing_key import SigningKeyUnusable, create_key_files, load_signers
from suara_audit.domain.note import verifier_key
from suara_audit.entrypoints.main import main
from suara_audit.settings import AuditSettings
from suara_kit.settings import Env, InvalidSetting, MissingSetting

BASE = {
    "SUARA_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    "SUARA_MONGO_URL": "mongodb://127.0.0.1:1/",
    "SUARA_IDENTITY_ISSUER": "urn:suara:test-idp",
    "SUARA_IDENTITY_JWKS_FILE": "/nonexistent/jwks.json",  # settings only name it; nothing here reads it
}


def settings(**env: str) -> AuditSettings:
    return AuditSettings.from_env(Env({**BASE, **env}))


def keys(tmp_path: Path, count: int) -> tuple[list[Path], list[str]]:
    files = [tmp_path / f"key{n}" for n in range(count)]
    return files, [create_key_files("test.example/audit", f) for f in files]


def test_one_key_file_as_before(tmp_path: Path) -> None:
    (key,), (vkey,) = keys(tmp_path, 1)

    loaded = settings(SUARA_AUDIT_SIGNING_KEY_FILE=str(key))

    assert loaded.signing_key_files == (key,) and loaded.signer_factory is None
    assert [verifier_key(s) for s in load_signers(loaded.signing_key_files, None)] == [vkey]


def test_several_key_files_during_a_rotation_sign_in_the_order_listed(tmp_path: Path) -> None:
    files, vkeys = keys(tmp_path, 2)

    loaded = settings(SUARA_AUDIT_SIGNING_KEY_FILE=f"{files[1]}, {files[0]}")

    assert [verifier_key(s) for s in load_signers(loaded.signing_key_files, None)] == [vkeys[1], vkeys[0]]


def test_a_kms_hook_named_in_settings_signs_alone_or_beside_a_key_file(tmp_path: Path) -> None:
    (key,), (vkey,) = keys(tmp_path, 1)

    alone = settings(SUARA_AUDIT_SIGNER_FACTORY="fake_kms:signer")
    both = settings(SUARA_AUDIT_SIGNING_KEY_FILE=str(key), SUARA_AUDIT_SIGNER_FACTORY="fake_kms:rotation")

    assert alone.signing_key_files == ()
    assert [verifier_key(s) for s in load_signers((), alone.signer_factory)] == [verifier_key(fake_kms.HELD)]
    assert [verifier_key(s) for s in load_signers(both.signing_key_files, both.signer_factory)] == [
        vkey,
        verifier_key(fake_kms.HELD),
        verifier_key(fake_kms.NEXT),
    ]


def test_no_key_at_all_names_both_variables() -> None:
    with pytest.raises(MissingSetting, match=r"SUARA_AUDIT_SIGNING_KEY_FILE.*SUARA_AUDIT_SIGNER_FACTORY"):
        settings()


@pytest.mark.parametrize("spec", ["fake_kms", "fake_kms:", "fake kms:signer", "fake_kms:signer()", "/tmp/x.py:f"])
def test_a_factory_that_is_not_module_colon_callable_is_refused_by_name(spec: str) -> None:
    with pytest.raises(InvalidSetting, match="SUARA_AUDIT_SIGNER_FACTORY") as raised:
        settings(SUARA_AUDIT_SIGNER_FACTORY=spec)
    assert raised.value.name == "SUARA_AUDIT_SIGNER_FACTORY"


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("no_such_module_here:signer", "cannot import"),
        ("fake_kms:no_such_factory", "cannot import"),
        ("fake_kms:NOT_CALLABLE", "is not callable"),
        ("fake_kms:not_a_signer", "not a NoteSigner"),
        ("fake_kms:nothing", "returned no signer"),
    ],
)
def test_an_unusable_factory_is_refused_naming_the_variable(spec: str, why: str) -> None:
    with pytest.raises(SigningKeyUnusable, match=f"SUARA_AUDIT_SIGNER_FACTORY={re.escape(spec)}.*{why}"):
        load_signers((), spec)


def test_an_unreadable_key_file_or_one_key_twice_is_refused_naming_the_variable(tmp_path: Path) -> None:
    files, _ = keys(tmp_path, 1)

    with pytest.raises(SigningKeyUnusable, match="SUARA_AUDIT_SIGNING_KEY_FILE: cannot read"):
        load_signers([tmp_path / "missing.key"], None)
    with pytest.raises(SigningKeyUnusable, match="configured twice"):
        load_signers([files[0], files[0]], None)


def test_the_service_refuses_to_start_with_an_unusable_signer_before_connecting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**BASE, "SUARA_AUDIT_SIGNER_FACTORY": "fake_kms:not_a_signer"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SUARA_AUDIT_SIGNING_KEY_FILE", raising=False)
    # main() configures the process's logging before it fails; give it a root logger of its own for this test, so
    # that its JSON handler does not write into every later test's stderr.
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)

    assert main([]) == 2
    assert "SUARA_AUDIT_SIGNER_FACTORY=fake_kms:not_a_signer" in capsys.readouterr().err
