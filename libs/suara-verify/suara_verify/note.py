"""C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys: verifier/signer keys, verify, open, sign.

A note is text ending in a newline, a blank line, then one or more lines ``— <key name> <base64(key id || sig)>``.
Signatures by unknown keys are ignored; a signature by a known key (same name AND key id) must verify, or the whole
note is rejected; at least one known key must have signed. Signing is here for tests and reference writers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from suara_verify.encoding import b64decode, b64encode
from suara_verify.errors import MalformedInput, VerificationError

__all__ = [
    "MAX_SIGNATURES",
    "SignedNote",
    "SignerKey",
    "VerifierKey",
    "generate_key",
    "key_id",
    "open_note",
    "parse_skey",
    "parse_vkey",
    "sign",
    "verify",
]

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100
_SIG_PREFIX = "— ".encode()


def key_id(name: str, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || 0x01 || public_key)[:4]`` as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class VerifierKey:
    """A parsed verifier key ``<name>+<key id hex>+<base64(0x01 || public key)>``."""

    name: str
    key_id: int
    public_key: bytes

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64encode(bytes([ALG_ED25519]) + self.public_key)}"


@dataclass(frozen=True)
class SignerKey:
    """A parsed signer key ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>``."""

    name: str
    key_id: int
    seed: bytes = b""

    @property
    def verifier(self) -> VerifierKey:
        public = _public_from_seed(self.seed)
        return VerifierKey(self.name, self.key_id, public)

    def sign(self, text: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(text)

    def __str__(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{b64encode(bytes([ALG_ED25519]) + self.seed)}"

    def __repr__(self) -> str:  # never print the seed
        return f"SignerKey(name={self.name!r}, key_id={self.key_id:08x})"


@dataclass(frozen=True)
class SignedNote:
    """A verified note: its text (the signed bytes) and the names of the trusted keys whose signatures verified."""

    text: bytes
    signers: list[str]


def parse_vkey(vkey: str) -> VerifierKey:
    """Parse a verifier key; raises MalformedInput naming what is wrong."""
    vkey = vkey.strip()
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise MalformedInput(f"verifier key {vkey[:60]!r} is not <name>+<key id>+<base64 key>")
    name, hash16, key64 = parts
    if not valid_name(name):
        raise MalformedInput(f"verifier key name {name!r} is empty or has a space or '+'")
    if len(hash16) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hash16):
        raise MalformedInput(f"verifier key {name}: key id {hash16!r} is not 8 hex digits")
    try:
        raw = b64decode(key64, f"verifier key {name}")
    except ValueError as e:
        raise MalformedInput(str(e)) from e
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise MalformedInput(f"verifier key {name} is not an Ed25519 key (0x01 followed by 32 bytes)")
    public = raw[1:]
    if key_id(name, public) != int(hash16, 16):
        raise MalformedInput(f"verifier key {name}: key id {hash16} does not match the key")
    return VerifierKey(name, int(hash16, 16), public)


def parse_skey(skey: str) -> SignerKey:
    """Parse a signer key; raises MalformedInput naming what is wrong (never the key material)."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise MalformedInput("signer key is not PRIVATE+KEY+<name>+<key id>+<base64 seed>")
    _, _, name, hash16, key64 = parts
    if not valid_name(name):
        raise MalformedInput(f"signer key name {name!r} is empty or has a space or '+'")
    if len(hash16) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hash16):
        raise MalformedInput(f"signer key {name}: key id is not 8 hex digits")
    try:
        raw = b64decode(key64, f"signer key {name}")
    except ValueError as e:
        raise MalformedInput(f"signer key {name}: key material is not canonical base64") from e
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise MalformedInput(f"signer key {name} is not an Ed25519 seed (0x01 followed by 32 bytes)")
    seed = raw[1:]
    if key_id(name, _public_from_seed(seed)) != int(hash16, 16):
        raise MalformedInput(f"signer key {name}: key id {hash16} does not match the key")
    return SignerKey(name, int(hash16, 16), seed)


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair for ``name``: ``(signer key, verifier key)`` strings."""
    if not valid_name(name):
        raise MalformedInput(f"key name {name!r} is empty or has a space or '+'")
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    kid = key_id(name, _public_from_seed(seed))
    signer = SignerKey(name, kid, seed)
    return str(signer), str(signer.verifier)


def sign(text: bytes, skeys: list[str]) -> bytes:
    """Sign ``text`` (ending in a newline) with each signer key, returning the signed note."""
    try:
        _check_text(text)
    except VerificationError as e:
        raise MalformedInput(str(e)) from e
    if not text.endswith(b"\n"):
        raise MalformedInput("note text must end with a newline")
    if b"\n\n" in b"\n" + text:
        # Legal per the spec, but never needed here: refusing keeps every note we write unambiguous.
        raise MalformedInput("note text must not contain an empty line")
    lines = []
    for skey in skeys:
        signer = parse_skey(skey)
        blob = signer.key_id.to_bytes(4, "big") + signer.sign(text)
        lines.append(_SIG_PREFIX + signer.name.encode() + b" " + b64encode(blob).encode() + b"\n")
    if not lines:
        raise MalformedInput("a note needs at least one signer key")
    return text + b"\n" + b"".join(lines)


def verify(note: bytes, vkeys: list[str]) -> list[str]:
    """Verify a signed note against trusted verifier keys; return the names of the trusted keys that signed.

    Signatures by unknown keys are ignored. Raises VerificationError when the note is malformed, when a trusted
    key's signature does not verify, or when no trusted key signed; MalformedInput when a verifier key is malformed.
    """
    return open_note(note, vkeys).signers


def open_note(note: bytes, vkeys: list[str]) -> SignedNote:
    """Like ``verify``, also returning the verified text."""
    known: dict[tuple[str, int], VerifierKey] = {}
    for vkey in vkeys:
        key = parse_vkey(vkey)
        other = known.get((key.name, key.key_id))
        if other is not None and other.public_key != key.public_key:
            raise MalformedInput(f"two different verifier keys share name {key.name} and id {key.key_id:08x}")
        known[key.name, key.key_id] = key

    if not isinstance(note, bytes | bytearray):
        raise VerificationError("note must be bytes")
    note = bytes(note)
    _check_text(note)
    split = note.rfind(b"\n\n")
    if split < 0:
        raise VerificationError("note has no blank line before its signatures")
    text, sigs = note[: split + 1], note[split + 2 :]
    if not sigs or not sigs.endswith(b"\n"):
        raise VerificationError("note does not end with a signature line")

    signers: list[str] = []
    lines = sigs[:-1].split(b"\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"note has more than {MAX_SIGNATURES} signatures")
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise VerificationError(f"signature line {number} does not start with an em dash and a space")
        name, sep, b64 = line[len(_SIG_PREFIX) :].decode().partition(" ")
        if not sep or not valid_name(name):
            raise VerificationError(f"signature line {number} has no valid key name")
        try:
            blob = b64decode(b64, f"signature line {number}")
        except ValueError as e:
            raise VerificationError(str(e)) from e
        if len(blob) < 5:
            raise VerificationError(f"signature line {number} is too short")
        trusted = known.get((name, int.from_bytes(blob[:4], "big")))
        if trusted is None:
            continue  # unknown key: ignored, as the spec requires
        if not trusted.verifies(text, blob[4:]):
            raise VerificationError(f"signature by trusted key {name}+{trusted.key_id:08x} does not verify")
        if name not in signers:
            signers.append(name)
    if not signers:
        raise VerificationError("note is not signed by any trusted key")
    return SignedNote(text, signers)


def _check_text(data: bytes) -> None:
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise VerificationError(f"note is not valid UTF-8 (byte {e.start})") from e
    for i, c in enumerate(decoded):
        if c < " " and c != "\n":
            raise VerificationError(f"note contains control character U+{ord(c):04X} at character {i}")


def _public_from_seed(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
