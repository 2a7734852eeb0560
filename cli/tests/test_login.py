"""`suara login`, `whoami`, `logout` against a development identity provider in a temporary folder, and the bearer
metadata the CLI's stubs send, accepted by a real gRPC server with the AuthInterceptor."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from suara_cli import login
from suara_cli.main import main
from suara_kit.grpc_server import Service, start_server
from suara_kit.identity import AuthInterceptor, IdentitySettings, current_principal
from suara_kit.identity.dev import DevIdentityProvider
from suara_kit.settings import Env

DEMO_USERS = Path(__file__).resolve().parents[2] / "data" / "kota-kediri" / "demo-users.toml"


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DevIdentityProvider:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SUARA_TOKEN_FILE", raising=False)
    monkeypatch.setenv("SUARA_IDENTITY_DIR", str(tmp_path / "identity"))
    return DevIdentityProvider.ensure(tmp_path / "identity", DEMO_USERS)


def token_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "suara" / "token"


def test_login_stores_a_token_for_the_demo_user_readable_by_the_owner_only(
    provider: DevIdentityProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", "officer-dpupr"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("logged in as officer-dpupr (Agus Prasetyo), officer of DPUPR; token valid until ")
    assert stat.S_IMODE(token_file(tmp_path).stat().st_mode) == 0o600
    verifier = IdentitySettings.from_env(Env(provider.service_env())).verifier()
    assert verifier.verify(token_file(tmp_path).read_text().strip()).opd == "DPUPR"


def test_whoami_names_the_user_role_and_scope(
    provider: DevIdentityProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["login", "integrator-112"])
    capsys.readouterr()

    assert main(["whoami"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "integrator-112 (Lapor Mbak Wali 112 (call centre)), integrator of lapor-mbak-wali-112"
    assert out[1] == f"  subject: {provider.users['integrator-112'].subject}"


def test_whoami_without_login_says_to_log_in(provider: DevIdentityProvider, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whoami"]) == 1
    assert "not logged in: run `suara login USERNAME`" in capsys.readouterr().err


def test_logout_forgets_the_token(provider: DevIdentityProvider, tmp_path: Path) -> None:
    main(["login", "head-dlhkp"])

    assert main(["logout"]) == 0

    assert not token_file(tmp_path).exists()
    with pytest.raises(login.LoginRequired, match="not logged in"):
        login.bearer_metadata()


def test_login_as_an_unknown_user_lists_the_demo_users(
    provider: DevIdentityProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", "walikota"]) == 1
    assert "no demo user 'walikota'; known: auditor, coordinator-diskominfo" in capsys.readouterr().err


def test_login_without_a_local_identity_provider_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SUARA_IDENTITY_DIR", str(tmp_path / "nothing"))

    assert main(["login", "officer-dpupr"]) == 1

    err = capsys.readouterr().err
    assert "start the stack (make run) first" in err
    assert "with a real identity provider use `suara login --token -`" in err


def test_login_stores_a_token_from_stdin(
    provider: DevIdentityProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = provider.mint("auditor")
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))

    assert main(["login", "--token", "-"]) == 0

    assert token_file(tmp_path).read_text().strip() == token


def test_login_stores_a_token_from_a_file(provider: DevIdentityProvider, tmp_path: Path) -> None:
    source = tmp_path / "from-keycloak.jwt"
    source.write_text(provider.mint("coordinator-diskominfo"))

    assert main(["login", "--token-file", str(source)]) == 0

    stored = login.load_token()
    assert stored is not None
    assert stored.username == "coordinator-diskominfo"


def test_login_refuses_a_token_on_the_command_line(
    provider: DevIdentityProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", "--token", provider.mint("auditor")]) == 1
    assert "not on the command line" in capsys.readouterr().err


def test_login_refuses_something_that_is_not_a_token(
    provider: DevIdentityProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2"))
    assert main(["login", "--token", "-"]) == 1
    assert "that is not a token" in capsys.readouterr().err


def test_an_expired_token_asks_to_log_in_again_as_the_same_user(provider: DevIdentityProvider, tmp_path: Path) -> None:
    login.save_token(provider.mint("officer-dlhkp", now=datetime.now(UTC) - timedelta(hours=9)))

    with pytest.raises(login.LoginRequired, match=r"expired at .* WIB: run `suara login officer-dlhkp`"):
        login.bearer_metadata()


def test_the_bearer_metadata_is_accepted_by_a_service_with_the_interceptor(provider: DevIdentityProvider) -> None:
    main(["login", "officer-dpupr"])
    interceptor = AuthInterceptor(IdentitySettings.from_env(Env(provider.service_env())).verifier())
    handler = grpc.method_handlers_generic_handler(
        "suara.test.Probe",
        {"Who": grpc.unary_unary_rpc_method_handler(lambda request, context: current_principal().subject.encode())},
    )
    service = Service("suara.test.Probe", lambda server: server.add_generic_rpc_handlers((handler,)))
    running = start_server("127.0.0.1:0", [service], max_workers=2, interceptors=[interceptor])
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            reply = channel.unary_unary("/suara.test.Probe/Who")(b"", metadata=login.bearer_metadata(), timeout=10)
    finally:
        running.stop(grace_seconds=0)

    assert reply == provider.users["officer-dpupr"].subject.encode()


class Refused(grpc.RpcError):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code


def test_a_refused_call_is_explained_with_what_to_run(provider: DevIdentityProvider) -> None:
    assert login.explain(Refused(grpc.StatusCode.UNAUTHENTICATED)).startswith("run `suara login USERNAME`")
    main(["login", "officer-dpupr"])
    assert login.explain(Refused(grpc.StatusCode.UNAUTHENTICATED)).startswith("run `suara login officer-dpupr`")
    assert login.explain(Refused(grpc.StatusCode.PERMISSION_DENIED)).startswith("logged in as officer-dpupr;")
    assert login.explain(Refused(grpc.StatusCode.NOT_FOUND)) == ""


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may touch the real ~/.config/suara/token."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield
