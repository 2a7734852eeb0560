"""Where the identity provider's public keys come from: its JWKS URL (production), a JWKS or PEM file (dev, tests)."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

log = logging.getLogger(__name__)


class UnknownKey(Exception):
    """The token names a key id the identity provider does not publish (or no longer does)."""


class KeysUnavailable(Exception):
    """The keys could not be read (the IdP's JWKS URL does not answer, the file is missing or broken).

    Not the caller's fault: the gRPC layer answers UNAVAILABLE and logs the detail, which stays server-side."""


class KeySource(Protocol):
    """The public key that checks a token signed with key id `kid` (None: the token names none)."""

    def key_for(self, kid: str | None) -> jwt.PyJWK: ...


class JwksUrlKeys:
    """The identity provider's published JWKS (e.g. Keycloak's .../protocol/openid-connect/certs), through PyJWKClient.

    The set is cached for `cache_seconds`; an unknown key id refetches it at most once per `cooldown_seconds` (key
    rotation is picked up, and a flood of made-up key ids cannot make us hammer the IdP)."""

    def __init__(
        self, url: str, cache_seconds: float = 300, timeout_seconds: float = 5, cooldown_seconds: float = 30
    ) -> None:
        self.url = url
        self._client = jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=cache_seconds, timeout=timeout_seconds, cooldown_duration=cooldown_seconds
        )

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        if not kid:
            raise UnknownKey("token has no key id (kid) and the JWKS may hold several keys")
        try:
            return self._client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as error:
            raise KeysUnavailable(f"JWKS {self.url}: {error}") from error
        except jwt.PyJWKClientError as error:
            if "Unable to find a signing key" in str(error):
                raise UnknownKey(f"unknown key id {kid[:64]!r}") from None
            raise KeysUnavailable(f"JWKS {self.url}: {error}") from error
        except jwt.PyJWKSetError as error:
            raise KeysUnavailable(f"JWKS {self.url}: {error}") from error


class JwksFileKeys:
    """A JWKS document on disk (the development identity provider's `jwks.json`). Read again when the file changes,
    so a key added beside the old one is picked up without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._load()  # fail fast at start-up when the file is missing or broken

    def _load(self) -> None:
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp == self._stamp:
                return
            document: Any = json.loads(self.path.read_text(encoding="utf-8"))
            keys = jwt.PyJWKSet.from_dict(document if isinstance(document, dict) else {}).keys
        except (OSError, ValueError, jwt.PyJWTError) as error:
            raise KeysUnavailable(f"JWKS file {self.path}: {error}") from error
        self._keys = {k.key_id: k for k in keys if k.key_id and k.public_key_use in ("sig", None)}
        self._stamp = stamp

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        if not kid:
            raise UnknownKey("token has no key id (kid)")
        with self._lock:
            if kid not in self._keys:
                self._load()
            key = self._keys.get(kid)
        if key is None:
            raise UnknownKey(f"unknown key id {kid[:64]!r}")
        return key


class PemFileKeys:
    """One public key in a PEM file (RSA, EC P-256 or Ed25519): it checks every token, whatever key id it names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            public = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError) as error:
            raise KeysUnavailable(f"PEM file {path}: {error}") from error
        self._key = jwt.PyJWK(public_jwk(public))

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        return self._key


def public_jwk(public: object) -> dict[str, Any]:
    """A public key as a JWK dict with its algorithm (RS256, ES256 or EdDSA) pinned."""
    jwk: dict[str, Any]
    if isinstance(public, rsa.RSAPublicKey):
        jwk, alg = RSAAlgorithm.to_jwk(public, as_dict=True), "RS256"
    elif isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        jwk, alg = ECAlgorithm.to_jwk(public, as_dict=True), "ES256"
    elif isinstance(public, ed25519.Ed25519PublicKey):
        jwk, alg = OKPAlgorithm.to_jwk(public, as_dict=True), "EdDSA"
    else:
        raise KeysUnavailable(f"unsupported public key type {type(public).__name__} (use RSA, EC P-256 or Ed25519)")
    return {**jwk, "alg": alg, "use": "sig"}


def key_source(jwks_url: str | None, keys_file: Path | None, cache_seconds: float = 300) -> KeySource:
    """The key source the settings name: a JWKS URL, or a file (`.pem` is one public key, anything else a JWKS)."""
    if jwks_url:
        return JwksUrlKeys(jwks_url, cache_seconds=cache_seconds)
    if keys_file is None:
        raise ValueError("either a JWKS URL or a keys file is needed")
    if keys_file.suffix.lower() == ".pem":
        return PemFileKeys(keys_file)
    return JwksFileKeys(keys_file)
