"""Where the log's signing key comes from: a file holding a signer key string (the KMS hook is NoteSigner)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from suara_audit.domain.note import Ed25519Signer, InvalidKey, verifier_key


class SigningKeyUnusable(RuntimeError):
    """The configured key file is missing, unreadable or not a signer key; the message names the file."""


def load_signer(path: Path) -> Ed25519Signer:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise SigningKeyUnusable(f"cannot read the signing key {path}: {error}") from None
    try:
        return Ed25519Signer.from_signer_key(text)
    except InvalidKey as error:
        raise SigningKeyUnusable(f"{path} is not a usable signer key: {error}") from None


def create_key_files(name: str, key_file: Path) -> str:
    """Create a new signer key at `key_file` (readable by its owner only) and its verifier key beside it
    (`<key_file>.vkey`); returns the verifier key. Refuses to overwrite an existing key."""
    if key_file.exists():
        raise SigningKeyUnusable(f"{key_file} exists already: not overwriting a signing key")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    signer = Ed25519Signer.generate(name)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(signer.signer_key() + "\n")
    vkey = verifier_key(signer)
    vkey_file(key_file).write_text(vkey + "\n", encoding="ascii")
    return vkey


def vkey_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".vkey")
