"""Token issuers for the identity tests (real keys: RSA, EC P-256, Ed25519) and the key sources: JWKS file, PEM file,
and a JWKS URL served by a local http.server thread."""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from suara_kit.identity import InvalidToken, JwksFileKeys, JwksUrlKeys, KeysUnavailable, PemFileKeys, TokenVerifier
from suara_kit.identity.keys import UnknownKey, public_jwk

ISSUER = "https://sso.kedirikota.example/realms/pemkot"
AUDIENCE = "suara"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class Issuer:
    """An identity provider in miniature: one private key, its JWK, and tokens signed with it."""

    def __init__(self, kind: str = "RS256", kid: str | None = None) -> None:
        self.key: PrivateKey
        if kind == "RS256":
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
        else:
            self.key = ed25519.Ed25519PrivateKey.generate()
        self.algorithm = kind
        self.kid = kid or f"{kind.lower()}-{uuid.uuid4().hex[:8]}"

    @property
    def jwk(self) -> dict[str, Any]:
        return {**public_jwk(self.key.public_key()), "kid": self.kid}

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80",
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "name": "Agus Prasetyo",
            "preferred_username": "officer-dpupr",
            "suara_role": "officer",
            "suara_opd": "DPUPR",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides), self.key, algorithm=self.algorithm, headers={"kid": self.kid, **(headers or {})}
        )


def jwks(*issuers: Issuer) -> dict[str, Any]:
    return {"keys": [i.jwk for i in issuers]}


def write_jwks(path: Path, *issuers: Issuer) -> Path:
    path.write_text(json.dumps(jwks(*issuers)), encoding="utf-8")
    return path


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 in a thread; `document` can change; `fetches` counts requests."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/realms/pemkot/protocol/openid-connect/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer({"keys": []})
    yield server
    server.close()


def verifier_for(keys: Any) -> TokenVerifier:
    return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)


def test_a_jwks_file_checks_tokens_of_each_supported_algorithm(tmp_path: Path) -> None:
    issuers = [Issuer("RS256"), Issuer("ES256"), Issuer("EdDSA")]
    verifier = verifier_for(JwksFileKeys(write_jwks(tmp_path / "jwks.json", *issuers)))

    for issuer in issuers:
        assert verifier.verify(issuer.token()).subject == "7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80"


def test_a_jwks_file_is_read_again_when_a_key_is_added(tmp_path: Path) -> None:
    old, new = Issuer(), Issuer("EdDSA")
    path = write_jwks(tmp_path / "jwks.json", old)
    verifier = verifier_for(JwksFileKeys(path))
    with pytest.raises(InvalidToken, match="unknown key id"):
        verifier.verify(new.token())

    write_jwks(path, old, new)

    assert verifier.verify(new.token()).role == "officer"


def test_a_missing_jwks_file_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(KeysUnavailable, match=r"nothing\.json"):
        JwksFileKeys(tmp_path / "nothing.json")


def test_a_pem_file_checks_tokens_whatever_key_id_they_name(tmp_path: Path) -> None:
    issuer = Issuer("ES256")
    pem = tmp_path / "idp.pem"
    pem.write_bytes(issuer.public_pem())

    principal = verifier_for(PemFileKeys(pem)).verify(issuer.token(headers={"kid": "anything"}))

    assert principal.opd == "DPUPR"


def test_a_pem_key_does_not_check_another_keys_tokens(tmp_path: Path) -> None:
    pem = tmp_path / "idp.pem"
    pem.write_bytes(Issuer("EdDSA").public_pem())

    with pytest.raises(InvalidToken, match="bad signature"):
        verifier_for(PemFileKeys(pem)).verify(Issuer("EdDSA").token())


def test_the_jwks_url_is_fetched_once_and_cached(jwks_server: JwksServer) -> None:
    issuer = Issuer()
    jwks_server.document = jwks(issuer)
    verifier = verifier_for(JwksUrlKeys(jwks_server.url))

    for _ in range(5):
        assert verifier.verify(issuer.token()).display_name == "Agus Prasetyo"

    assert jwks_server.fetches == 1


def test_a_rotated_key_is_fetched_from_the_jwks_url(jwks_server: JwksServer) -> None:
    old, new = Issuer(), Issuer()
    jwks_server.document = jwks(old)
    verifier = verifier_for(JwksUrlKeys(jwks_server.url, cooldown_seconds=0))
    verifier.verify(old.token())

    jwks_server.document = jwks(old, new)

    assert verifier.verify(new.token()).subject
    assert jwks_server.fetches == 2


def test_made_up_key_ids_do_not_make_the_verifier_hammer_the_identity_provider(jwks_server: JwksServer) -> None:
    issuer = Issuer()
    jwks_server.document = jwks(issuer)
    verifier = verifier_for(JwksUrlKeys(jwks_server.url, cooldown_seconds=30))
    verifier.verify(issuer.token())

    for n in range(20):
        with pytest.raises(InvalidToken, match="unknown key id"):
            verifier.verify(issuer.token(headers={"kid": f"made-up-{n}"}))

    assert jwks_server.fetches == 1


def test_an_identity_provider_that_does_not_answer_makes_keys_unavailable(jwks_server: JwksServer) -> None:
    url = jwks_server.url
    jwks_server.close()
    keys = JwksUrlKeys(url, timeout_seconds=1)
    started = time.monotonic()

    with pytest.raises(KeysUnavailable):
        keys.key_for("any")

    assert time.monotonic() - started < 5


def test_a_token_without_key_id_is_refused_by_a_jwks_source(tmp_path: Path) -> None:
    issuer = Issuer()
    keys = JwksFileKeys(write_jwks(tmp_path / "jwks.json", issuer))

    with pytest.raises(UnknownKey, match="no key id"):
        keys.key_for(None)
