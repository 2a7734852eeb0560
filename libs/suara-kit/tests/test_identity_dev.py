"""The development identity provider: one key made once, its JWKS, the demo users, tokens a service accepts."""

from __future__ import annotations

import json
import stat
import threading
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from suara_kit.identity import IdentitySettings, InvalidToken, Role, TokenVerifier
from suara_kit.identity.dev import DEV_ISSUER, DevIdentityError, DevIdentityProvider, load_demo_users, main
from suara_kit.settings import Env

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"
DEMO_USERS = DATA_DIR / "demo-users.toml"


@pytest.fixture
def provider(tmp_path: Path) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path / "identity", DEMO_USERS)


def service_verifier(provider: DevIdentityProvider) -> TokenVerifier:
    return IdentitySettings.from_env(Env(provider.service_env())).verifier()


def test_the_demo_users_cover_every_role_the_issue_names() -> None:
    users = {u.username: u for u in load_demo_users(DEMO_USERS)}

    assert {(u.role, u.opd) for u in users.values() if u.role in (Role.OFFICER, Role.HEAD)} == {
        (Role.OFFICER, "DPUPR"),
        (Role.HEAD, "DPUPR"),
        (Role.OFFICER, "DLHKP"),
        (Role.HEAD, "DLHKP"),
    }
    assert users["coordinator-diskominfo"].opd == "DISKOMINFO"
    assert [u.role for u in users.values()].count(Role.AUDITOR) == 1
    assert {u.integrator for u in users.values() if u.role is Role.INTEGRATOR} == {"lapor-mbak-wali-112", "web-portal"}


def test_every_demo_users_opd_is_an_agency_of_the_catalogue() -> None:
    agencies = {a["code"] for a in tomllib.loads((DATA_DIR / "agencies.toml").read_text(encoding="utf-8"))["agency"]}
    assert {u.opd for u in load_demo_users(DEMO_USERS) if u.opd} <= agencies


def test_a_minted_token_is_accepted_by_a_service_pointed_at_the_dev_files(provider: DevIdentityProvider) -> None:
    principal = service_verifier(provider).verify(provider.mint("officer-dpupr"))

    assert (principal.display_name, principal.role, principal.opd) == ("Agus Prasetyo", Role.OFFICER, "DPUPR")
    assert principal.subject == provider.users["officer-dpupr"].subject


def test_an_integrators_token_names_the_integrator(provider: DevIdentityProvider) -> None:
    principal = service_verifier(provider).verify(provider.mint("integrator-112"))
    assert (principal.role, principal.integrator_id) == (Role.INTEGRATOR, "lapor-mbak-wali-112")


def test_tokens_last_eight_hours_by_default(provider: DevIdentityProvider) -> None:
    verifier = service_verifier(provider)
    token = provider.mint("head-dlhkp", now=datetime.now(UTC) - timedelta(hours=8, minutes=1))

    with pytest.raises(InvalidToken, match="token expired"):
        verifier.verify(token)
    assert verifier.verify(provider.mint("head-dlhkp", now=datetime.now(UTC) - timedelta(hours=7, minutes=59)))


def test_the_key_is_made_once_and_kept(tmp_path: Path) -> None:
    first = DevIdentityProvider.ensure(tmp_path, DEMO_USERS)
    token = first.mint("auditor")
    jwks_before = (tmp_path / "jwks.json").read_bytes()

    again = DevIdentityProvider.ensure(tmp_path, DEMO_USERS)

    assert again.key_id == first.key_id
    assert (tmp_path / "jwks.json").read_bytes() == jwks_before
    assert service_verifier(again).verify(token).role is Role.AUDITOR


def test_two_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    key_ids: list[str] = []
    threads = [
        threading.Thread(target=lambda: key_ids.append(DevIdentityProvider.ensure(tmp_path, DEMO_USERS).key_id))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(key_ids)) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_private_key_is_readable_by_its_owner_only(provider: DevIdentityProvider) -> None:
    assert stat.S_IMODE((provider.state_dir / "signing-key.pem").stat().st_mode) == 0o600
    assert "d" not in json.loads((provider.state_dir / "jwks.json").read_text())["keys"][0]  # public part only


def test_open_reads_what_ensure_made(provider: DevIdentityProvider) -> None:
    opened = DevIdentityProvider.open(provider.state_dir)
    assert (opened.issuer, opened.key_id, sorted(opened.users)) == (DEV_ISSUER, provider.key_id, sorted(provider.users))


def test_open_without_state_says_to_start_the_stack(tmp_path: Path) -> None:
    with pytest.raises(DevIdentityError, match="start the stack \\(make run\\) first"):
        DevIdentityProvider.open(tmp_path / "nothing")


def test_an_unknown_user_is_refused_listing_the_known_ones(provider: DevIdentityProvider) -> None:
    with pytest.raises(DevIdentityError, match="no demo user 'walikota'; known: auditor, coordinator-diskominfo"):
        provider.mint("walikota")


def test_a_demo_officer_without_an_opd_is_refused(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text('[[user]]\nusername = "x"\nname = "X"\nrole = "officer"\n', encoding="utf-8")
    with pytest.raises(DevIdentityError, match="user #1: role officer needs an opd"):
        load_demo_users(users)


def test_the_command_line_prints_the_service_settings_then_a_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), str(DEMO_USERS)]) == 0
    settings = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert settings["SUARA_IDENTITY_ISSUER"] == DEV_ISSUER
    assert settings["SUARA_IDENTITY_JWKS_FILE"] == str((tmp_path / "jwks.json").resolve())

    assert main(["mint", str(tmp_path), "coordinator-diskominfo"]) == 0
    token = capsys.readouterr().out.strip()
    principal = IdentitySettings.from_env(Env(settings)).verifier().verify(token)
    assert principal.role is Role.COORDINATOR
