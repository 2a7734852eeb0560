"""TokenVerifier and the claims mapping: real tokens signed with real keys, and the attacks a verifier must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from test_identity_keys import AUDIENCE, ISSUER, Issuer, write_jwks

from suara_kit.identity import (
    ClaimsMapping,
    IdentitySettings,
    InvalidToken,
    JwksFileKeys,
    JwksUrlKeys,
    PemFileKeys,
    Principal,
    Role,
    TokenVerifier,
)
from suara_kit.settings import Env, InvalidSetting, MissingSetting


@pytest.fixture
def issuer() -> Issuer:
    return Issuer("RS256")


@pytest.fixture
def verifier(issuer: Issuer, tmp_path: Path) -> TokenVerifier:
    other = Issuer("EdDSA")
    return TokenVerifier(
        JwksFileKeys(write_jwks(tmp_path / "jwks.json", issuer, other)), issuer=ISSUER, audience=AUDIENCE
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_valid_token_gives_the_principal_it_names(verifier: TokenVerifier, issuer: Issuer) -> None:
    assert verifier.verify(issuer.token()) == Principal(
        subject="7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80", display_name="Agus Prasetyo", role=Role.OFFICER, opd="DPUPR"
    )


def test_an_expired_token_is_refused_saying_when_it_expired(verifier: TokenVerifier, issuer: Issuer) -> None:
    expired = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    token = issuer.token(iat=expired - timedelta(hours=8), exp=expired)

    with pytest.raises(InvalidToken, match=r"token expired at 2026-11-20T01:00:00\+00:00") as refused:
        verifier.verify(token)

    assert refused.value.subject == "7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80"  # genuine, so the denial log can name it


def test_a_token_expired_within_the_leeway_is_still_accepted(verifier: TokenVerifier, issuer: Issuer) -> None:
    now = datetime.now(UTC)
    assert verifier.verify(issuer.token(iat=now - timedelta(hours=1), exp=now - timedelta(seconds=10))).subject


def test_a_token_not_yet_valid_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    with pytest.raises(InvalidToken, match="not yet valid"):
        verifier.verify(issuer.token(nbf=datetime.now(UTC) + timedelta(minutes=10)))


def test_a_token_of_another_issuer_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    with pytest.raises(InvalidToken, match="wrong issuer: this service accepts tokens from 'https://sso"):
        verifier.verify(issuer.token(iss="https://evil.example/realms/pemkot"))


def test_a_token_for_another_audience_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    with pytest.raises(InvalidToken, match="wrong audience: this service accepts tokens for 'suara'"):
        verifier.verify(issuer.token(aud="account"))


def test_a_token_whose_audiences_include_suara_is_accepted(verifier: TokenVerifier, issuer: Issuer) -> None:
    assert verifier.verify(issuer.token(aud=["account", "suara"])).role is Role.OFFICER


def test_a_token_signed_by_an_unknown_key_id_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="unknown key id 'stranger'"):
        verifier.verify(Issuer("RS256", kid="stranger").token())


def test_a_token_signed_by_another_key_under_a_known_key_id_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    impostor = Issuer("RS256", kid=issuer.kid)
    with pytest.raises(InvalidToken, match="bad signature"):
        verifier.verify(impostor.token())


def test_a_token_with_an_altered_payload_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    header, _, signature = issuer.token().split(".")
    payload = b64(json.dumps(issuer.claims(suara_role="coordinator"), default=lambda d: int(d.timestamp())).encode())

    with pytest.raises(InvalidToken, match="bad signature"):
        verifier.verify(f"{header}.{payload}.{signature}")


def test_an_unsigned_token_alg_none_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    unsigned = jwt.encode(issuer.claims(), None, algorithm="none", headers={"kid": issuer.kid})

    with pytest.raises(InvalidToken, match="algorithm 'none' not accepted"):
        verifier.verify(unsigned)


def test_an_hs256_token_signed_with_the_public_key_as_hmac_secret_is_refused(
    verifier: TokenVerifier, issuer: Issuer
) -> None:
    # The classic key-confusion attack: the attacker knows the public key and uses its bytes as an HMAC secret.
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode())
    claims = issuer.claims(suara_role="coordinator", suara_opd=None)
    payload = b64(json.dumps(claims, default=lambda d: int(d.timestamp())).encode())
    signature = hmac.new(issuer.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()

    with pytest.raises(InvalidToken, match="algorithm 'HS256' not accepted"):
        verifier.verify(f"{header}.{payload}.{b64(signature)}")


def test_a_token_whose_algorithm_is_not_its_keys_is_refused(tmp_path: Path) -> None:
    trusted = Issuer("RS256", kid="shared")  # the only key trusted, an RSA key
    keys = JwksFileKeys(write_jwks(tmp_path / "jwks.json", trusted))
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)

    with pytest.raises(InvalidToken, match="algorithm 'ES256' does not match the key shared"):
        verifier.verify(Issuer("ES256", kid="shared").token())


def test_a_symmetric_key_in_the_jwks_never_checks_a_token(tmp_path: Path) -> None:
    secret = b"0123456789abcdef0123456789abcdef"
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "sym", "k": b64(secret)}]}), encoding="utf-8")
    verifier = TokenVerifier(JwksFileKeys(path), issuer=ISSUER, audience=AUDIENCE)
    token = jwt.encode(Issuer().claims(), secret, algorithm="HS256", headers={"kid": "sym"})

    with pytest.raises(InvalidToken, match="not accepted"):
        verifier.verify(token)


def test_garbage_is_a_malformed_token(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="malformed token"):
        verifier.verify("not-a-jwt")


def test_an_oversized_token_is_refused_before_parsing(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="token longer than 16384"):
        verifier.verify("a" * 100_000)


@pytest.mark.parametrize("claim", ["exp", "iat", "sub"])
def test_a_token_without_a_required_claim_is_refused(verifier: TokenVerifier, issuer: Issuer, claim: str) -> None:
    with pytest.raises(InvalidToken, match=f"missing claim '{claim}'"):
        verifier.verify(issuer.token(**{claim: None}))


def test_a_token_without_a_role_claim_is_refused_naming_where_the_role_is_read(
    verifier: TokenVerifier, issuer: Issuer
) -> None:
    with pytest.raises(InvalidToken, match="missing role: no claim 'suara_role' and no realm role 'suara-<role>'"):
        verifier.verify(issuer.token(suara_role=None))


def test_an_unknown_role_is_refused_listing_the_known_ones(verifier: TokenVerifier, issuer: Issuer) -> None:
    with pytest.raises(InvalidToken, match="unknown role 'admin' in claim 'suara_role' \\(known: coordinator, officer"):
        verifier.verify(issuer.token(suara_role="admin"))


def test_an_officer_without_an_opd_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    with pytest.raises(InvalidToken, match="role officer needs an OPD: missing claim 'suara_opd'"):
        verifier.verify(issuer.token(suara_opd=None))


def test_the_role_is_read_from_keycloak_realm_roles(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.token(
        suara_role=None, suara_opd=None, realm_access={"roles": ["offline_access", "suara-coordinator"]}
    )
    assert verifier.verify(token).role is Role.COORDINATOR


def test_several_suara_realm_roles_are_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = issuer.token(suara_role=None, realm_access={"roles": ["suara-officer", "suara-head"]})
    with pytest.raises(InvalidToken, match=r"several Suara roles in realm_access\.roles \(head, officer\)"):
        verifier.verify(token)


def test_an_integrator_is_named_by_its_claim_or_its_client_id(verifier: TokenVerifier, issuer: Issuer) -> None:
    by_claim = issuer.token(suara_role="integrator", suara_opd=None, suara_integrator="lapor-mbak-wali-112")
    by_client = issuer.token(suara_role="integrator", suara_opd=None, azp="web-portal")

    assert verifier.verify(by_claim).integrator_id == "lapor-mbak-wali-112"
    assert verifier.verify(by_client).integrator_id == "web-portal"
    with pytest.raises(InvalidToken, match="role integrator needs an id"):
        verifier.verify(issuer.token(suara_role="integrator", suara_opd=None))


def test_the_display_name_falls_back_to_the_username_then_the_subject(verifier: TokenVerifier, issuer: Issuer) -> None:
    assert verifier.verify(issuer.token(name=None)).display_name == "officer-dpupr"
    assert verifier.verify(issuer.token(name=None, preferred_username=None)).display_name.startswith("7f3c9a52")


def test_claim_names_are_configurable(issuer: Issuer, tmp_path: Path) -> None:
    mapping = ClaimsMapping(role_claim="jabatan", opd_claim="dinas")
    keys = JwksFileKeys(write_jwks(tmp_path / "jwks.json", issuer))
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, claims=mapping)

    principal = verifier.verify(issuer.token(suara_role=None, suara_opd=None, jabatan="head", dinas="DLHKP"))

    assert (principal.role, principal.opd) == (Role.HEAD, "DLHKP")


def test_a_verifier_refuses_to_be_configured_with_a_symmetric_algorithm(issuer: Issuer, tmp_path: Path) -> None:
    keys = JwksFileKeys(write_jwks(tmp_path / "jwks.json", issuer))
    with pytest.raises(ValueError, match="HS256"):
        TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, algorithms=["RS256", "HS256"])


def test_an_algorithm_left_out_of_the_settings_is_refused(issuer: Issuer, tmp_path: Path) -> None:
    keys = JwksFileKeys(write_jwks(tmp_path / "jwks.json", issuer))
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, algorithms=["EdDSA"])
    with pytest.raises(InvalidToken, match="algorithm 'RS256' not accepted \\(accepted: EdDSA\\)"):
        verifier.verify(issuer.token())


# Settings


def settings(**environ: str) -> IdentitySettings:
    return IdentitySettings.from_env(Env(environ))


def test_settings_need_an_issuer() -> None:
    with pytest.raises(MissingSetting, match="SUARA_IDENTITY_ISSUER"):
        settings(SUARA_IDENTITY_JWKS_URL="https://sso.example/certs")


def test_settings_need_a_jwks_url_or_file() -> None:
    with pytest.raises(MissingSetting, match=r"SUARA_IDENTITY_JWKS_URL .*SUARA_IDENTITY_JWKS_FILE"):
        settings(SUARA_IDENTITY_ISSUER=ISSUER)


def test_settings_refuse_both_a_jwks_url_and_a_file() -> None:
    with pytest.raises(InvalidSetting, match="SUARA_IDENTITY_JWKS_FILE"):
        settings(SUARA_IDENTITY_ISSUER=ISSUER, SUARA_IDENTITY_JWKS_URL="https://x/certs", SUARA_IDENTITY_JWKS_FILE="k")


def test_settings_refuse_a_symmetric_algorithm() -> None:
    with pytest.raises(InvalidSetting, match="SUARA_IDENTITY_ALGORITHMS='RS256,HS256'"):
        settings(
            SUARA_IDENTITY_ISSUER=ISSUER,
            SUARA_IDENTITY_JWKS_URL="https://x/certs",
            SUARA_IDENTITY_ALGORITHMS="RS256,HS256",
        )


def test_settings_with_a_jwks_url_build_a_verifier_that_fetches_it() -> None:
    built = settings(SUARA_IDENTITY_ISSUER=ISSUER, SUARA_IDENTITY_JWKS_URL="https://sso.example/certs").verifier()
    assert isinstance(built._keys, JwksUrlKeys)
    assert (built.issuer, built.audience, built.leeway_seconds) == (ISSUER, "suara", 30)


def test_settings_with_a_pem_file_build_a_verifier_of_that_key(issuer: Issuer, tmp_path: Path) -> None:
    pem = tmp_path / "idp.pem"
    pem.write_bytes(issuer.public_pem())
    built = settings(
        SUARA_IDENTITY_ISSUER=ISSUER, SUARA_IDENTITY_JWKS_FILE=str(pem), SUARA_IDENTITY_ROLE_CLAIM="jabatan"
    ).verifier()

    assert isinstance(built._keys, PemFileKeys)
    assert built.verify(issuer.token(suara_role=None, jabatan="head")).role is Role.HEAD
