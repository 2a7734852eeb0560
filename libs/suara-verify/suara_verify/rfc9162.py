"""RFC 9162 §2.1 Merkle tree hashing, proof verification, a streaming compact range, and reference proof generation.

Hashes are SHA-256 with the ``0x00`` leaf and ``0x01`` node prefixes; the root of the empty tree is ``SHA-256("")``.
Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step. The generators
(``inclusion_proof``, ``consistency_proof``) follow §2.1.3.1 and §2.1.4.1 over an in-memory list of leaf hashes:
they are a reference for tests and cross-checks, not a log implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from suara_verify.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf's exact bytes."""
    if not isinstance(data, bytes | bytearray | memoryview):
        # bytes(5) is five zero bytes and bytes("x") a TypeError: neither is the leaf the caller meant.
        raise VerificationError(f"leaf data must be bytes, got {type(data).__name__}")
    return hashlib.sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: list[bytes]) -> bytes:
    """The RFC 9162 Merkle tree hash (MTH) of a list of leaf hashes."""
    if not isinstance(leaf_hashes, list | tuple):
        raise VerificationError(f"leaf hashes must be a list of hashes, got {type(leaf_hashes).__name__}")
    for i, h in enumerate(leaf_hashes):
        _check_hash(h, f"leaf hash {i}")
    rng = CompactRange()
    for h in leaf_hashes:
        rng.append(h)
    return rng.root()


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves whose hash is ``root``.

    Raises VerificationError on any failure, including an index outside the tree and a proof of the wrong length.
    """
    _check_size(index, "index")
    _check_size(size, "tree size")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    proof = _check_proof(proof)
    if index >= size:
        raise VerificationError(f"index {index} is outside a tree of size {size}")
    expected = _inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise VerificationError(
            f"inclusion proof for index {index} in size {size} has {len(proof)} hashes, expected {expected}"
        )
    # RFC 9162 §2.1.3.2.
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is too short")
    if r != root:
        raise VerificationError(f"inclusion proof for index {index} does not lead to the root of size {size}")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]) -> None:
    """Check that the tree of ``size2`` leaves with hash ``root2`` extends the tree of ``size1`` with ``root1``.

    A proof from size 0 must be empty and ``root1`` must be the empty tree's hash. Raises VerificationError on any
    failure, including ``size1 > size2`` and a proof of the wrong length.
    """
    _check_size(size1, "first tree size")
    _check_size(size2, "second tree size")
    _check_hash(root1, "first root")
    _check_hash(root2, "second root")
    proof = _check_proof(proof)
    if size1 > size2:
        raise VerificationError(f"first tree size {size1} is larger than second tree size {size2}")
    if size1 == size2:
        if proof:
            raise VerificationError(f"consistency proof between equal sizes {size1} must be empty")
        if root1 != root2:
            raise VerificationError(f"two different roots for the same tree size {size1}")
        return
    if size1 == 0:
        if proof:
            raise VerificationError("consistency proof from the empty tree must be empty")
        if root1 != EMPTY_ROOT:
            raise VerificationError("root of the empty tree is not SHA-256 of the empty string")
        return
    expected = _consistency_proof_length(size1, size2)
    if len(proof) != expected:
        raise VerificationError(
            f"consistency proof from size {size1} to {size2} has {len(proof)} hashes, expected {expected}"
        )
    # RFC 9162 §2.1.4.2.
    if size1 & (size1 - 1) == 0:
        proof = [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is too short")
    if fr != root1:
        raise VerificationError(f"consistency proof does not lead to the root of size {size1}")
    if sr != root2:
        raise VerificationError(f"consistency proof does not lead to the root of size {size2}")


class CompactRange:
    """The perfect subtrees covering leaves ``0 .. size-1``, largest first: enough to append and to compute roots.

    Appending is amortised O(1) hashes and memory is O(log size), so a bundle of any length is verified while
    streaming. ``from_frontier`` starts from the subtree hashes of an earlier tree (an incremental bundle).
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_frontier(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Start from the perfect-subtree hashes of a tree of ``size`` leaves (largest subtree first)."""
        _check_size(size, "frontier size")
        expected = size.bit_count()
        if len(hashes) != expected:
            raise VerificationError(f"a tree of size {size} has {expected} frontier hashes, got {len(hashes)}")
        for i, h in enumerate(hashes):
            _check_hash(h, f"frontier hash {i}")
        rng = cls()
        rng._size = size
        rng._hashes = list(hashes)
        return rng

    @property
    def size(self) -> int:
        return self._size

    @property
    def frontier(self) -> list[bytes]:
        """The perfect-subtree hashes, largest first (``size.bit_count()`` of them)."""
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        h = leaf_hash
        # Each trailing 1 bit of the size is a subtree of the same height as the new one: merge them.
        n = self._size
        while n & 1:
            h = node_hash(self._hashes.pop(), h)
            n >>= 1
        self._hashes.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        r = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            r = node_hash(h, r)
        return r


def inclusion_proof(index: int, leaf_hashes: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[n])`` over an in-memory list of leaf hashes (reference generator)."""
    _check_size(index, "index")
    if index >= len(leaf_hashes):
        raise VerificationError(f"index {index} is outside a tree of size {len(leaf_hashes)}")
    return _path(index, leaf_hashes, 0, len(leaf_hashes))


def consistency_proof(size1: int, size2: int, leaf_hashes: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.4.1 ``PROOF(size1, D[size2])`` over the first ``size2`` of ``leaf_hashes`` (reference)."""
    _check_size(size1, "first tree size")
    _check_size(size2, "second tree size")
    if not size1 <= size2 <= len(leaf_hashes):
        raise VerificationError(f"need 0 <= {size1} <= {size2} <= {len(leaf_hashes)}")
    if size1 in (0, size2):
        return []
    return _subproof(size1, leaf_hashes, 0, size2, True)


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: list[bytes], lo: int, hi: int) -> bytes:
    rng = CompactRange()
    rng.extend(leaves[lo:hi])
    return rng.root()


def _path(m: int, leaves: list[bytes], lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    if m < k:
        return [*_path(m, leaves, lo, lo + k), _mth(leaves, lo + k, hi)]
    return [*_path(m - k, leaves, lo + k, hi), _mth(leaves, lo, lo + k)]


def _subproof(m: int, leaves: list[bytes], lo: int, hi: int, complete: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if complete else [_mth(leaves, lo, hi)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, leaves, lo, lo + k, complete), _mth(leaves, lo + k, hi)]
    return [*_subproof(m - k, leaves, lo + k, hi, False), _mth(leaves, lo, lo + k)]


def _inclusion_proof_length(index: int, size: int) -> int:
    # Levels below the point where the paths to index and to the last leaf join, plus the perfect-subtree
    # boundaries above it (RFC 9162 §2.1.3.2 walks exactly these).
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner + border


def _consistency_proof_length(size1: int, size2: int) -> int:
    # 0 < size1 < size2. The path to leaf size1-1 in the larger tree, minus the levels inside the largest perfect
    # subtree ending at size1 (its hash is the proof's first element, or root1 itself when size1 is a power of two).
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = ((size1 - 1) >> inner).bit_count()
    shift = (size1 & -size1).bit_length() - 1
    start = 0 if size1 & (size1 - 1) == 0 else 1
    return start + inner - shift + border


def _check_size(value: object, what: str) -> None:
    if type(value) is not int or value < 0:
        raise VerificationError(f"{what} must be a non-negative integer, got {value!r}")


def _check_hash(value: object, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes")


def _check_proof(proof: object) -> list[bytes]:
    if not isinstance(proof, list | tuple):
        raise VerificationError("proof must be a list of hashes")
    for i, h in enumerate(proof):
        _check_hash(h, f"proof hash {i}")
    return [bytes(h) for h in proof]
