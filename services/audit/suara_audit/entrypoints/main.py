"""`suara-audit`: keep the integrity log and serve its API until SIGTERM; `suara-audit keygen`: make a signing key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from suara_audit import bootstrap
from suara_audit.adapters.signing_key import SigningKeyUnusable, create_key_files
from suara_audit.settings import DEFAULT_ORIGIN, AuditSettings
from suara_kit.service_main import run_service


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["keygen"]:
        return keygen(args[1:])
    try:
        return run_service("suara-audit", AuditSettings.from_env, bootstrap.run)
    except SigningKeyUnusable as error:  # raised at start, before anything is connected
        print(f"suara-audit: {error}", file=sys.stderr)
        return 2


def keygen(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="suara-audit keygen", description="Create the log's Ed25519 signer key and its verifier key (FILE.vkey)."
    )
    parser.add_argument("--out", type=Path, required=True, help="the signer key file to create (mode 0600)")
    parser.add_argument("--name", default=DEFAULT_ORIGIN, help="the key's name (default: the log's origin)")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when the key file exists")
    args = parser.parse_args(argv)
    if args.if_missing and args.out.exists():
        return 0
    try:
        vkey = create_key_files(args.name, args.out)
    except (SigningKeyUnusable, ValueError) as error:
        print(f"suara-audit keygen: {error}", file=sys.stderr)
        return 1
    print(vkey)
    return 0


if __name__ == "__main__":
    sys.exit(main())
