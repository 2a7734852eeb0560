"""`suara login`, `suara whoami`, `suara logout`: the bearer token the CLI sends with every gRPC call.

The token is kept in one file per OS user ($XDG_CONFIG_HOME/suara/token, else ~/.config/suara/token; mode 0600;
SUARA_TOKEN_FILE overrides). `suara login USER` mints one from the local development identity provider
(SUARA_IDENTITY_DIR, default var/local/identity, which `make run` sets up); with `--token -` (stdin) or
`--token-file FILE` it stores a token obtained elsewhere, e.g. from the city's Keycloak. The CLI does not verify the
token (the services do); it reads its claims only to show who it names and to warn before it expires.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import jwt

from suara_kit.identity.dev import DEFAULT_LIFETIME, DevIdentityError, DevIdentityProvider

COMMANDS = ("login", "whoami", "logout")
DEFAULT_IDENTITY_DIR = "var/local/identity"
WIB = timezone(timedelta(hours=7), "WIB")
MAX_TOKEN_LENGTH = 16_384


class LoginRequired(Exception):
    """There is no usable token; the text says which command gets one."""


@dataclass(frozen=True)
class StoredToken:
    token: str
    claims: dict[str, Any]

    @property
    def username(self) -> str:
        return str(self.claims.get("preferred_username") or self.claims.get("sub") or "?")

    @property
    def expires_at(self) -> datetime | None:
        exp = self.claims.get("exp")
        return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None

    def expired(self, now: datetime | None = None) -> bool:
        expires = self.expires_at
        return expires is not None and expires <= (now or datetime.now(UTC))


def token_path() -> Path:
    override = os.environ.get("SUARA_TOKEN_FILE", "").strip()
    if override:
        return Path(override)
    config = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(config) / "suara" / "token"


def identity_dir() -> Path:
    return Path(os.environ.get("SUARA_IDENTITY_DIR", "").strip() or DEFAULT_IDENTITY_DIR)


def read_claims(token: str) -> dict[str, Any]:
    """The claims a token states, unverified (for display only; PyJWT parses, the services verify)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError(f"longer than {MAX_TOKEN_LENGTH} characters")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise ValueError(f"not a JWT ({error})") from None
    return dict(claims)


def load_token() -> StoredToken | None:
    path = token_path()
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    try:
        return StoredToken(token, read_claims(token))
    except ValueError:
        return None


def save_token(token: str) -> Path:
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".token-")  # 0600 from the start
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


def login_hint(stored: StoredToken | None = None) -> str:
    user = stored.username if stored and stored.claims.get("preferred_username") else "USERNAME"
    return f"run `suara login {user}` (or `suara login --token -` with a token from your identity provider)"


def bearer_metadata(extra: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[str, str], ...]:
    """gRPC call metadata carrying the stored token: `stub.Method(request, metadata=bearer_metadata(...))`.
    LoginRequired (its text says what to run) when there is no token or it has expired."""
    stored = load_token()
    if stored is None:
        raise LoginRequired(f"not logged in: {login_hint()}")
    if stored.expired():
        raise LoginRequired(
            f"your token for {stored.username} expired at {_wib(stored.expires_at)}: {login_hint(stored)}"
        )
    return (*extra, ("authorization", f"Bearer {stored.token}"))


def explain(error: grpc.RpcError) -> str:
    """What to do next after a refused call (for the CLI's error line), or "" when there is nothing to add."""
    code = error.code()
    if code is grpc.StatusCode.UNAUTHENTICATED:
        return login_hint(load_token())
    if code is grpc.StatusCode.PERMISSION_DENIED:
        stored = load_token()
        who = f"logged in as {stored.username}" if stored else "not logged in"
        return f"{who}; log in as a user whose role may do this (`suara whoami` shows yours)"
    return ""


def add_parsers(commands: Any) -> None:
    login = commands.add_parser(
        "login",
        help="store a token: minted for a demo user (local stack), or one from your identity provider",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    login.add_argument(
        "username", nargs="?", help="demo user, e.g. officer-dpupr (see data/kota-kediri/demo-users.toml)"
    )
    source = login.add_mutually_exclusive_group()
    source.add_argument("--token", metavar="-", help="read a token from stdin ('-'; never on the command line)")
    source.add_argument("--token-file", type=Path, metavar="FILE", help="read a token from FILE")
    login.add_argument(
        "--identity-dir",
        type=Path,
        default=None,
        help=f"the local identity provider's state (default $SUARA_IDENTITY_DIR or {DEFAULT_IDENTITY_DIR})",
    )
    login.add_argument("--hours", type=float, default=DEFAULT_LIFETIME.total_seconds() / 3600, help="token lifetime")
    commands.add_parser("whoami", help="who the stored token names, and until when")
    commands.add_parser("logout", help="forget the stored token")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "login":
            return _login(args)
        if args.command == "whoami":
            return _whoami()
        return _logout()
    except LoginRequired as error:
        print(f"suara: {error}", file=sys.stderr)
        return 1


def _login(args: argparse.Namespace) -> int:
    if args.token is not None or args.token_file is not None:
        if args.username:
            return _fail("give a USERNAME (local demo user) or --token/--token-file, not both")
        if args.token is not None and args.token != "-":
            return _fail("pass the token on stdin (--token -) or in a file (--token-file), not on the command line")
        try:
            raw = sys.stdin.read() if args.token == "-" or str(args.token_file) == "-" else args.token_file.read_text()
        except OSError as error:
            return _fail(f"cannot read the token: {error}")
        token = raw.strip()
        try:
            stored = StoredToken(token, read_claims(token))
        except ValueError as error:
            return _fail(f"that is not a token: {error}")
        if stored.expired():
            return _fail(
                f"that token expired at {_wib(stored.expires_at)}: get a fresh one from your identity provider"
            )
    else:
        if not args.username:
            return _fail("name a demo user (`suara login officer-dpupr`), or give --token - / --token-file")
        directory = args.identity_dir or identity_dir()
        try:
            provider = DevIdentityProvider.open(directory)
            token = provider.mint(args.username, timedelta(hours=args.hours))
        except DevIdentityError as error:
            return _fail(f"{error}; with a real identity provider use `suara login --token -`")
        stored = StoredToken(token, read_claims(token))
    path = save_token(token)
    print(f"logged in as {_describe(stored.claims)}; token valid until {_wib(stored.expires_at)} (saved in {path})")
    return 0


def _whoami() -> int:
    stored = load_token()
    if stored is None:
        raise LoginRequired(f"not logged in: {login_hint()}")
    print(f"{_describe(stored.claims)}")
    print(f"  subject: {stored.claims.get('sub', '?')}")
    print(f"  issuer:  {stored.claims.get('iss', '?')}")
    print(f"  token:   {token_path()} (as the token says; the services verify it)")
    if stored.expired():
        raise LoginRequired(f"this token expired at {_wib(stored.expires_at)}: {login_hint(stored)}")
    print(f"  valid until {_wib(stored.expires_at)}")
    return 0


def _logout() -> int:
    path = token_path()
    try:
        path.unlink()
    except FileNotFoundError:
        print("not logged in (nothing to forget)")
        return 0
    print(f"logged out (removed {path})")
    return 0


def _describe(claims: dict[str, Any]) -> str:
    """'officer-dpupr (Agus Prasetyo), officer of DPUPR' from the claims Suara's services read (default mapping)."""
    username = str(claims.get("preferred_username") or claims.get("sub", "?"))
    name = claims.get("name")
    realm_roles = (claims.get("realm_access") or {}).get("roles", [])
    role = claims.get("suara_role") or ", ".join(
        r.removeprefix("suara-") for r in realm_roles if isinstance(r, str) and r.startswith("suara-")
    )
    scope = claims.get("suara_integrator") if role == "integrator" else claims.get("suara_opd")
    who = f"{username} ({name})" if name and name != username else username
    return f"{who}, {role or 'no Suara role'}" + (f" of {scope}" if scope else "")


def _wib(moment: datetime | None) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB") if moment else "(no expiry)"


def _fail(message: str) -> int:
    print(f"suara: {message}", file=sys.stderr)
    return 1
