"""C2SP tlog-proof (https://c2sp.org/tlog-proof): a receipt that one leaf is in a signed checkpoint's tree."""

from __future__ import annotations

from dataclasses import dataclass

from suara_verify import checkpoint, rfc9162
from suara_verify.encoding import b64decode, b64encode, decimal
from suara_verify.errors import MalformedInput

__all__ = ["HEADER", "Receipt", "VerifiedReceipt", "format_receipt", "parse", "verify"]

HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class Receipt:
    index: int
    proof: list[bytes]
    checkpoint_note: bytes
    extra: bytes | None = None


@dataclass(frozen=True)
class VerifiedReceipt:
    index: int
    checkpoint: checkpoint.Checkpoint
    signers: list[str]


def format_receipt(index: int, proof: list[bytes], checkpoint_note: bytes, extra: bytes | None = None) -> bytes:
    """Write a tlog-proof: header, optional extra line, index, proof hashes, blank line, the signed checkpoint."""
    lines = [HEADER]
    if extra is not None:
        lines.append("extra " + b64encode(extra))
    lines.append(f"index {index}")
    lines.extend(b64encode(h) for h in proof)
    return ("\n".join(lines) + "\n\n").encode() + checkpoint_note


def parse(data: bytes) -> Receipt:
    """Parse a tlog-proof; raises MalformedInput when the envelope is not in the format."""
    head, sep, checkpoint_note = data.partition(b"\n\n")
    if not sep:
        raise MalformedInput("receipt has no blank line before its checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError as e:
        raise MalformedInput("receipt header is not ASCII") from e
    if lines[0] != HEADER:
        raise MalformedInput(f"receipt does not start with {HEADER!r}")
    rest = lines[1:]
    extra = None
    try:
        if rest and rest[0].startswith("extra "):
            extra = b64decode(rest.pop(0)[len("extra ") :], "receipt extra data")
        if not rest or not rest[0].startswith("index "):
            raise MalformedInput("receipt has no 'index N' line")
        index = decimal(rest.pop(0)[len("index ") :], "receipt index")
        proof = [b64decode(line, f"receipt proof hash {i}") for i, line in enumerate(rest)]
    except ValueError as e:
        raise MalformedInput(str(e)) from e
    for i, h in enumerate(proof):
        if len(h) != rfc9162.HASH_SIZE:
            raise MalformedInput(f"receipt proof hash {i} is {len(h)} bytes, not {rfc9162.HASH_SIZE}")
    return Receipt(index, proof, checkpoint_note, extra)


def verify(data: bytes, leaf: bytes, vkeys: list[str], origin: str | None = None) -> VerifiedReceipt:
    """Check that ``leaf`` (its exact bytes) is at the receipt's index in the tree of its signed checkpoint."""
    receipt = parse(data)
    signed = checkpoint.open_checkpoint(receipt.checkpoint_note, vkeys, origin)
    cp = signed.checkpoint
    rfc9162.verify_inclusion(receipt.index, cp.size, rfc9162.leaf_hash(leaf), receipt.proof, cp.root)
    return VerifiedReceipt(receipt.index, cp, signed.signers)
