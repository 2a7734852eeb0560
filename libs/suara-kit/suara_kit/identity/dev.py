"""The development identity provider: a local signing key, its JWKS, demo users, and tokens minted for them.

For `make run` and tests only. Services accept its tokens only when their settings point at its files
(SUARA_IDENTITY_JWKS_FILE=<state dir>/jwks.json and SUARA_IDENTITY_ISSUER=urn:suara:dev-idp); production points
them at the city's identity provider instead. State dir layout (made once, idempotently, by `ensure`):

    signing-key.pem  Ed25519 private key (mode 0600)
    jwks.json        its public key as a JWKS (what services read)
    idp.json         issuer, audience, key id and the demo users (copied from data/kota-kediri/demo-users.toml)

    python -m suara_kit.identity.dev init STATE_DIR USERS_TOML   # prints the SUARA_IDENTITY_* settings for services
    python -m suara_kit.identity.dev mint STATE_DIR USERNAME     # prints a token (grpcurl -H "authorization: Bearer …")
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from suara_kit.identity.keys import public_jwk
from suara_kit.identity.principal import OPD_SCOPED_ROLES, Role
from suara_kit.identity.settings import DEFAULT_AUDIENCE

DEV_ISSUER = "urn:suara:dev-idp"
DEFAULT_LIFETIME = timedelta(hours=8)
KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
CONFIG_FILE = "idp.json"
_SUBJECTS = uuid.UUID("5b0c3a4e-8d1f-5e0a-9a51-7375617261a0")  # namespace of the demo users' subjects


class DevIdentityError(Exception):
    """The development identity provider cannot do what was asked; the text says what to do."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: Role
    opd: str | None = None
    integrator: str | None = None

    @property
    def subject(self) -> str:
        """Stable across restarts and machines, like a Keycloak user id."""
        return str(uuid.uuid5(_SUBJECTS, self.username))


def load_demo_users(path: Path) -> tuple[DemoUser, ...]:
    """The [[user]] tables of a demo-users TOML file, checked: known role, OPD for officers and heads, an id for
    integrators, unique usernames."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DevIdentityError(f"cannot read demo users from {path}: {error}") from error
    users: list[DemoUser] = []
    for index, entry in enumerate(document.get("user", []), start=1):
        where = f"{path} user #{index}"
        username, name, role = (str(entry.get(k, "")).strip() for k in ("username", "name", "role"))
        if not username or not name:
            raise DevIdentityError(f"{where}: username and name are required")
        try:
            user = DemoUser(username, name, Role(role), entry.get("opd") or None, entry.get("integrator") or None)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise DevIdentityError(f"{where}: unknown role {role!r} (one of {known})") from None
        if user.role in OPD_SCOPED_ROLES and not user.opd:
            raise DevIdentityError(f"{where}: role {role} needs an opd")
        if user.role is Role.INTEGRATOR and not user.integrator:
            raise DevIdentityError(f"{where}: role integrator needs an integrator id")
        if any(u.username == username for u in users):
            raise DevIdentityError(f"{where}: username {username!r} appears twice")
        users.append(user)
    if not users:
        raise DevIdentityError(f"{path}: no [[user]] entries")
    return tuple(users)


class DevIdentityProvider:
    """Mints tokens for the demo users with the local key. Build it with `ensure` (make run) or `open` (the CLI)."""

    def __init__(
        self,
        state_dir: Path,
        private_key: ed25519.Ed25519PrivateKey,
        config: Mapping[str, Any],
        users: tuple[DemoUser, ...],
    ) -> None:
        self.state_dir = state_dir
        self._key = private_key
        self.issuer: str = config["issuer"]
        self.audience: str = config["audience"]
        self.key_id: str = config["kid"]
        self.users = {u.username: u for u in users}

    @property
    def jwks_file(self) -> Path:
        return self.state_dir / JWKS_FILE

    @classmethod
    def ensure(
        cls, state_dir: Path, users_file: Path, issuer: str = DEV_ISSUER, audience: str = DEFAULT_AUDIENCE
    ) -> DevIdentityProvider:
        """Create the key once (never replaced: tokens already handed out stay valid), write its JWKS, and (re)read
        the demo users. Safe to run again and from two processes at once."""
        users = load_demo_users(users_file)
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = _create_or_load_key(state_dir / KEY_FILE)
        jwk = {**public_jwk(key.public_key()), "kid": _thumbprint(key.public_key())}
        _write_atomically(state_dir / JWKS_FILE, json.dumps({"keys": [jwk]}, indent=2) + "\n", 0o644)
        config = {"issuer": issuer, "audience": audience, "kid": jwk["kid"], "users": [_user_json(u) for u in users]}
        _write_atomically(state_dir / CONFIG_FILE, json.dumps(config, indent=2, ensure_ascii=False) + "\n", 0o644)
        return cls(state_dir, key, config, users)

    @classmethod
    def open(cls, state_dir: Path) -> DevIdentityProvider:
        """The provider `ensure` set up in `state_dir`."""
        config_path = state_dir / CONFIG_FILE
        if not config_path.exists():
            raise DevIdentityError(
                f"no development identity provider in {state_dir}: start the stack (make run) first, or set"
                " SUARA_IDENTITY_DIR to where it keeps its identity state"
            )
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
            key = _load_key(state_dir / KEY_FILE)
            users = tuple(
                DemoUser(u["username"], u["name"], Role(u["role"]), u.get("opd"), u.get("integrator"))
                for u in config["users"]
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DevIdentityError(f"broken development identity state in {state_dir}: {error}") from error
        return cls(state_dir, key, config, users)

    def mint(self, username: str, lifetime: timedelta = DEFAULT_LIFETIME, now: datetime | None = None) -> str:
        """A signed access token for a demo user, with the claims a Keycloak realm configured for Suara would give."""
        user = self.users.get(username)
        if user is None:
            raise DevIdentityError(f"no demo user {username[:60]!r}; known: {', '.join(sorted(self.users))}")
        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user.subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
            "jti": str(uuid.uuid4()),
            "azp": "suara-cli",
            "name": user.name,
            "preferred_username": user.username,
            "suara_role": user.role.value,
        }
        if user.opd:
            claims["suara_opd"] = user.opd
        if user.integrator:
            claims["suara_integrator"] = user.integrator
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.key_id, "typ": "JWT"})

    def service_env(self) -> dict[str, str]:
        """The settings that make a service accept this provider's tokens."""
        return {
            "SUARA_IDENTITY_ISSUER": self.issuer,
            "SUARA_IDENTITY_AUDIENCE": self.audience,
            "SUARA_IDENTITY_JWKS_FILE": str(self.jwks_file.resolve()),
        }


def _user_json(user: DemoUser) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Role) else v) for k, v in asdict(user).items() if v is not None}


def _create_or_load_key(path: Path) -> ed25519.Ed25519PrivateKey:
    if not path.exists():
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mkstemp makes it 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            # link() fails if the key exists: of two processes starting at once, one key wins and both load it.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return _load_key(path)


def _load_key(path: Path) -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise DevIdentityError(f"{path} is not an Ed25519 private key")
    return key


def _thumbprint(public: ed25519.Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint: the key id is derived from the key, so it is the same wherever the key is."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _write_atomically(path: Path, text: str, mode: int) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return  # unchanged: keep the mtime, so a JwksFileKeys reader has nothing to reload
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suara_kit.identity.dev", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create the key and JWKS once, load the demo users; print the settings")
    init.add_argument("state_dir", type=Path)
    init.add_argument("users", type=Path, help="demo users TOML (data/kota-kediri/demo-users.toml)")
    mint = commands.add_parser("mint", help="print a token for a demo user")
    mint.add_argument("state_dir", type=Path)
    mint.add_argument("username")
    mint.add_argument("--hours", type=float, default=DEFAULT_LIFETIME.total_seconds() / 3600)
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            provider = DevIdentityProvider.ensure(args.state_dir, args.users)
            for name, value in provider.service_env().items():
                print(f"{name}={value}")
        else:
            print(DevIdentityProvider.open(args.state_dir).mint(args.username, timedelta(hours=args.hours)))
    except DevIdentityError as error:
        print(f"suara dev identity: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
