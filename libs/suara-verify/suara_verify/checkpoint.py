"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): parse, format and open a signed checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from suara_verify import note
from suara_verify.encoding import b64decode, b64encode, decimal
from suara_verify.errors import VerificationError
from suara_verify.rfc9162 import HASH_SIZE

__all__ = ["Checkpoint", "SignedCheckpoint", "open_checkpoint", "parse"]


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin line, the tree size and the RFC 9162 root hash (plus extension lines)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def body(self) -> bytes:
        """The checkpoint text that gets signed: origin, size and base64 root, one per line."""
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines).encode()


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signers: list[str]
    note: bytes


def parse(text: bytes) -> Checkpoint:
    """Parse a checkpoint body (the signed text of the note); raises VerificationError naming the bad line."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as e:
        raise VerificationError("checkpoint is not valid UTF-8") from e
    if not decoded.endswith("\n"):
        raise VerificationError("checkpoint text does not end with a newline")
    lines = decoded[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError("checkpoint needs an origin, a tree size and a root hash line")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise VerificationError("checkpoint origin line is empty")
    if any(not line for line in extensions):
        raise VerificationError("checkpoint has an empty extension line")
    try:
        size = decimal(size_text, "checkpoint tree size")
        root = b64decode(root_text, "checkpoint root hash")
    except ValueError as e:
        raise VerificationError(str(e)) from e
    if len(root) != HASH_SIZE:
        raise VerificationError(f"checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
    return Checkpoint(origin, size, root, tuple(extensions))


def open_checkpoint(signed: bytes, vkeys: list[str], origin: str | None = None) -> SignedCheckpoint:
    """Verify a signed checkpoint against trusted keys (and its origin, if given) and parse it."""
    opened = note.open_note(signed, vkeys)
    cp = parse(opened.text)
    if origin is not None and cp.origin != origin:
        raise VerificationError(f"checkpoint is for origin {cp.origin!r}, expected {origin!r}")
    return SignedCheckpoint(cp, opened.signers, bytes(signed))
