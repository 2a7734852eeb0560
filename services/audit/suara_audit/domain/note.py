"""C2SP signed notes and tlog-checkpoints, signed with Ed25519; the signer that never signs two roots for one size.

Formats (docs/audit/formats.md): a note is body lines ending in "\\n", a blank line, then one line per signature,
``— <key name> <base64(key id (4 bytes) || signature)>``. Ed25519 key id = SHA-256(name || "\\n" || 0x01 ||
public key)[:4]. Signer keys read ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>``; verifier keys
``<name>+<key id hex>+<base64(0x01 || public key)>``.

`NoteSigner` is the hook for a key held elsewhere (a KMS or an HSM): anything that can produce an Ed25519 signature
under a named key can sign the log's checkpoints. During a key rotation a note carries one signature per key, so a
verifier pinned to either key accepts it (C2SP signed-note: signatures by unknown keys are ignored).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ED25519 = 0x01
EM_DASH = "\u2014"
CHECKPOINT_HEADER_LINES = 3


class InvalidKey(ValueError):
    """A signer key string cannot be used; the message says what is wrong with it (never the key itself)."""


class ForkRefused(RuntimeError):
    """Asked to sign a second, different root for a tree size already signed: that would fork the log."""


class NoteSigner(Protocol):
    """Signs note bodies under one named Ed25519 key. Implement this to keep the key in a KMS."""

    @property
    def name(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `message`."""
        ...


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def verifier_key(signer: NoteSigner) -> str:
    """The `name+id+key` string an auditor passes to suara-verify --vkey."""
    encoded = base64.b64encode(bytes([ED25519]) + signer.public_key).decode()
    return f"{signer.name}+{key_id(signer.name, signer.public_key).hex()}+{encoded}"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name or any(c.isspace() for c in name) or "+" in name:
        raise InvalidKey(f"key name {name!r} must be non-empty without spaces or '+'")


def check_signer(signer: object) -> NoteSigner:
    """`signer` as a NoteSigner, once it has shown that it signs with the key it names: a usable name, a 32-byte
    public key, and a signature over a probe that verifies under that key (catches a KMS hook wired to another key).
    Raises InvalidKey saying what is wrong."""
    name, public_key, sign = (getattr(signer, a, None) for a in ("name", "public_key", "sign"))
    if name is None or public_key is None or not callable(sign):
        raise InvalidKey(f"{type(signer).__name__} is not a NoteSigner (it needs name, public_key and sign())")
    _check_name(name)
    if not isinstance(public_key, bytes) or len(public_key) != 32:
        raise InvalidKey(f"key {name}: public_key must be 32 bytes (a raw Ed25519 public key)")
    probe = b"suara-audit signer check\n"
    try:
        signature = sign(probe)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, probe)
    except (InvalidSignature, TypeError, ValueError):
        raise InvalidKey(f"key {name}: its signature of a probe does not verify under its public key") from None
    return signer  # type: ignore[return-value]  # checked above: it has what NoteSigner needs


@dataclass(frozen=True)
class Ed25519Signer:
    """A NoteSigner whose private key is in this process (read from a file)."""

    name: str
    _key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        _check_name(name)
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_signer_key(cls, text: str) -> Ed25519Signer:
        parts = text.strip().split("+", 4)  # base64 may itself contain "+"
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise InvalidKey("a signer key reads PRIVATE+KEY+<name>+<key id hex>+<base64 key>")
        name, id_hex, encoded = parts[2:]
        _check_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
            expected_id = bytes.fromhex(id_hex)
        except (binascii.Error, ValueError):
            raise InvalidKey("the key id or the key is not valid hex / base64") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise InvalidKey("the key must be 0x01 followed by a 32-byte Ed25519 seed")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if key_id(name, signer.public_key) != expected_id:
            raise InvalidKey(f"the key id {id_hex} does not match the key named {name}")
        return signer

    def signer_key(self) -> str:
        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{key_id(self.name, self.public_key).hex()}+{encoded}"


def sign_note(body: bytes, signers: Sequence[NoteSigner]) -> bytes:
    """A signed note: the body, a blank line, one signature line per signer."""
    text = body.decode("utf-8")  # a note is UTF-8 text
    if not text.endswith("\n") or "\n\n" in text or "\r" in text:
        raise ValueError("a note body is non-empty lines, each ending in a newline, with no blank line")
    if not signers:
        raise ValueError("a signed note needs at least one signer")
    lines = []
    for signer in signers:
        signature = key_id(signer.name, signer.public_key) + signer.sign(body)
        lines.append(f"{EM_DASH} {signer.name} {base64.b64encode(signature).decode()}\n")
    return body + b"\n" + "".join(lines).encode()


def checkpoint_body(origin: str, size: int, root: bytes) -> bytes:
    """A C2SP tlog-checkpoint body: origin, tree size, base64 root hash."""
    if not origin or "\n" in origin:
        raise ValueError("the origin is one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    note: bytes  # the signed note, exactly as signed


class CheckpointSigner:
    """Signs tree heads of one log with every one of its keys (several during a key rotation). Refuses a root for a
    size that was already signed with another root, whether this process signed it or the store knows of it
    (`previous`)."""

    def __init__(self, origin: str, signers: Sequence[NoteSigner]) -> None:
        checkpoint_body(origin, 0, b"")  # fail now on a bad origin
        if not signers:
            raise ValueError("a log needs at least one signing key")
        ids = [(s.name, key_id(s.name, s.public_key)) for s in signers]
        if len(set(ids)) != len(ids):
            raise ValueError("the same key is listed twice among the log's signing keys")
        self.origin = origin
        self.signers = tuple(signers)
        self._signed: dict[int, bytes] = {}

    def verifier_keys(self) -> list[str]:
        return [verifier_key(s) for s in self.signers]

    def sign(self, size: int, root: bytes, previous: bytes | None = None) -> Checkpoint:
        if size < 0 or len(root) != 32:
            raise ValueError("a checkpoint needs a tree size >= 0 and a 32-byte root")
        for earlier in (previous, self._signed.get(size)):
            if earlier is not None and earlier != root:
                raise ForkRefused(
                    f"refusing to sign root {root.hex()} for tree size {size}: root {earlier.hex()} was signed for it"
                )
        note = sign_note(checkpoint_body(self.origin, size, root), self.signers)
        self._signed[size] = root
        return Checkpoint(size, root, note)
