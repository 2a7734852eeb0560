"""Where the log's signing keys come from: files holding signer key strings, and/or a factory named in settings
(`module:callable`) that returns NoteSigners held elsewhere (a KMS or an HSM)."""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from suara_audit.domain.note import Ed25519Signer, InvalidKey, NoteSigner, check_signer, key_id, verifier_key
from suara_audit.settings import KEY_FILES, SIGNER_FACTORY


class SigningKeyUnusable(RuntimeError):
    """A configured key cannot be used; the message names the setting and what is wrong (never key material)."""


def load_signers(key_files: Sequence[Path], factory: str | None) -> list[NoteSigner]:
    """Every configured signing key: the files' (in order), then the factory's. Each is checked to sign with the
    key it names, and no key may appear twice, so a bad configuration fails at start, naming its variable."""
    signers: list[NoteSigner] = []
    for path in key_files:
        try:
            signers.append(load_signer(path))
        except SigningKeyUnusable as error:
            raise SigningKeyUnusable(f"{KEY_FILES}: {error}") from None
    if factory is not None:
        signers += _from_factory(factory)
    ids = [(signer.name, key_id(signer.name, signer.public_key)) for signer in signers]
    for signer, id_ in zip(signers, ids, strict=True):
        if ids.count(id_) > 1:
            raise SigningKeyUnusable(
                f"{KEY_FILES} / {SIGNER_FACTORY}: the key {verifier_key(signer)} is configured twice"
                " (or two keys share its name and key id)"
            )
    if not signers:
        raise SigningKeyUnusable(f"{SIGNER_FACTORY}={factory}: returned no signer")
    return signers


def _from_factory(spec: str) -> list[NoteSigner]:
    module_name, _, attribute = spec.partition(":")
    try:
        target: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise SigningKeyUnusable(f"{SIGNER_FACTORY}={spec}: cannot import it ({error})") from None
    if not callable(target):
        raise SigningKeyUnusable(f"{SIGNER_FACTORY}={spec}: is not callable")
    made = target()
    found = list(made) if isinstance(made, list | tuple) else [made]
    try:
        return [check_signer(s) for s in found]
    except InvalidKey as error:
        raise SigningKeyUnusable(f"{SIGNER_FACTORY}={spec}: returned an unusable signer: {error}") from None


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
