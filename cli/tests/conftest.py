"""Fixtures for the CLI's unit tests: an audit log on in-memory stores, served over gRPC on localhost behind the real
AuthInterceptor, with a development identity provider whose demo users the CLI logs in as."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_log_fixture import Log
from events import complaints

from suara_audit.entrypoints.grpc_api import AuditServicer, audit_service
from suara_kit.grpc_server import start_server
from suara_kit.identity import AuthInterceptor, JwksFileKeys, TokenVerifier
from suara_kit.identity.dev import DevIdentityProvider

DEMO_USERS = Path(__file__).resolve().parents[2] / "data" / "kota-kediri" / "demo-users.toml"


@pytest.fixture(scope="module")
def audit_idp(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("idp"), DEMO_USERS)


@pytest.fixture
def audit_log() -> Log:
    """Two complaints' events (6 entries) and a checkpoint at 6."""
    log = Log()
    assert log.sequencer.acquire()
    log.sequencer.append(complaints(2))
    log.sign_now()
    return log


@pytest.fixture
def audit_address(
    audit_log: Log, audit_idp: DevIdentityProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The audit service behind the AuthInterceptor; the CLI's token store in tmp_path, nobody logged in yet
    (`suara login USER` mints from `audit_idp`)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUARA_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("SUARA_IDENTITY_DIR", str(audit_idp.state_dir))
    verifier = TokenVerifier(JwksFileKeys(audit_idp.jwks_file), issuer=audit_idp.issuer, audience=audit_idp.audience)
    running = start_server(
        "127.0.0.1:0",
        [audit_service(AuditServicer(audit_log.queries))],
        max_workers=2,
        interceptors=[AuthInterceptor(verifier)],
    )
    yield f"127.0.0.1:{running.port}"
    running.stop(grace_seconds=0)
