"""Bearer-token verification with PyJWT: asymmetric signature, issuer, audience, lifetime; then the claims mapping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import jwt

from suara_kit.identity.claims import ClaimsError, ClaimsMapping
from suara_kit.identity.keys import KeySource, UnknownKey
from suara_kit.identity.principal import Principal

# Asymmetric only: a verifier that accepted HS* could be fooled with the public key used as an HMAC secret, and
# `none` is no signature at all.
SUPPORTED_ALGORITHMS = ("RS256", "ES256", "EdDSA")
MAX_TOKEN_LENGTH = 16_384  # Keycloak tokens are 1-3 KB; a bigger "token" is refused before any parsing
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


class InvalidToken(Exception):
    """The token does not prove who the caller is. The text names what is wrong, and never holds key material.
    `subject` is set when the token is genuine but unusable (expired, no role), for the denial log."""

    def __init__(self, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class TokenVerifier:
    """Verify a bearer JWT and say who it is for.

    Only the algorithms in `algorithms` (a subset of RS256, ES256, EdDSA) are accepted, and a token's `alg` must be
    the algorithm of the key its `kid` names (an RSA key never checks an ES256 or HS256 signature).
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        leeway_seconds: float = 30,
        claims: ClaimsMapping | None = None,
    ) -> None:
        self.algorithms = tuple(algorithms)
        unsupported = [a for a in self.algorithms if a not in SUPPORTED_ALGORITHMS]
        if unsupported or not self.algorithms:
            raise ValueError(
                f"algorithms must be some of {', '.join(SUPPORTED_ALGORITHMS)}, not {', '.join(unsupported) or 'none'}"
            )
        if not issuer or not audience:
            raise ValueError("a verifier needs an issuer and an audience")
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway_seconds = leeway_seconds
        self.claims = claims or ClaimsMapping()

    def verify(self, token: str) -> Principal:
        """The principal the token names; InvalidToken naming the problem; KeysUnavailable if keys cannot be read."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"token longer than {MAX_TOKEN_LENGTH} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise InvalidToken("malformed token: not a signed JWT (header.payload.signature)") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            shown = str(alg)[:20]
            raise InvalidToken(f"algorithm {shown!r} not accepted (accepted: {', '.join(self.algorithms)})")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("malformed token: key id (kid) is not a string")
        try:
            key = self._keys.key_for(kid)
        except UnknownKey as error:
            raise InvalidToken(str(error)) from None
        if key.algorithm_name != alg:
            raise InvalidToken(f"algorithm {alg!r} does not match the key {kid or ''} (a {key.algorithm_name} key)")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            expired_at, subject = _expiry(token)
            raise InvalidToken(f"token expired{expired_at}", subject) from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("token not yet valid (nbf or iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"wrong audience: this service accepts tokens for {self.audience!r}") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"wrong issuer: this service accepts tokens from {self.issuer!r}") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("bad signature") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"missing claim '{error.claim}'") from None
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"invalid token: {str(error)[:120]}") from None
        try:
            return self.claims.principal(claims)
        except ClaimsError as error:
            subject = claims.get("sub")
            raise InvalidToken(str(error), subject[:200] if isinstance(subject, str) else None) from None


def _expiry(token: str) -> tuple[str, str | None]:
    """(' at <time>', subject) of an expired token: its signature was already checked (PyJWT checks the signature
    before the claims), so both are the issuer's word."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "", None
    subject = claims.get("sub")
    subject = subject[:200] if isinstance(subject, str) else None
    try:
        return f" at {datetime.fromtimestamp(float(claims['exp']), UTC).isoformat(timespec='seconds')}", subject
    except (KeyError, TypeError, ValueError, OverflowError):
        return "", subject
