"""The RFC 9162 tree as the log stores it: perfect subtrees keyed by (level, index), appended a batch at a time.

A perfect subtree at (level L, index i) covers leaves ``i·2^L .. (i+1)·2^L - 1``; level 0 holds the leaf hashes.
Once complete, a perfect subtree never changes, so the log stores each one exactly once. Every hash a proof needs
is the Merkle tree hash (MTH) of a range that splits into perfect subtrees (RFC 9162's recursion only ever asks for
such ranges), so proofs come from O(log n) stored hashes, never from all the leaves.

Hashing is ``suara_verify.rfc9162``: the writer and the auditors' verifier share one definition of the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from suara_verify.rfc9162 import EMPTY_ROOT, leaf_hash, node_hash

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "NodeKey",
    "consistency_ranges",
    "fold_range",
    "inclusion_ranges",
    "keys_of",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
]

NodeKey = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end) in leaves
Lookup = Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]


class MissingNode(LookupError):
    """A subtree hash that should be stored is not: the store is incomplete or was altered."""


def perfect_subtrees(start: int, end: int) -> list[NodeKey]:
    """The aligned perfect subtrees that make up leaves [start, end), left to right (largest first for start 0)."""
    if not 0 <= start <= end:
        raise ValueError(f"not a range of leaves: [{start}, {end})")
    keys: list[NodeKey] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """The MTH of a range from its perfect subtrees, left to right: H(p1, H(p2, ... H(pk-1, pk)))."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


@dataclass(frozen=True)
class NewNode:
    level: int
    index: int
    hash: bytes


@dataclass(frozen=True)
class Frontier:
    """The perfect subtrees covering leaves 0 .. size-1, largest first: all a sequencer needs to keep appending."""

    size: int
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a tree of size {self.size} has {self.size.bit_count()} frontier hashes, not {len(self.hashes)}"
            )

    @classmethod
    def empty(cls) -> Frontier:
        return cls(0, ())

    def root(self) -> bytes:
        return fold(self.hashes)

    def keys(self) -> list[NodeKey]:
        return perfect_subtrees(0, self.size)

    def append(self, leaf_hashes: Iterable[bytes]) -> tuple[Frontier, list[NewNode]]:
        """The frontier after appending the leaves, and every subtree hash the append completed (leaves included),
        so one write stores the whole batch."""
        stack = list(zip(self.keys(), self.hashes, strict=True))
        size = self.size
        created: list[NewNode] = []
        for h in leaf_hashes:
            key, value = (0, size), h
            created.append(NewNode(0, size, h))
            while stack and stack[-1][0][0] == key[0]:
                (level, index), left = stack.pop()
                key, value = (level + 1, index >> 1), node_hash(left, value)
                created.append(NewNode(key[0], key[1], value))
            stack.append((key, value))
            size += 1
        return Frontier(size, tuple(v for _, v in stack)), created


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose MTHs form RFC 9162 PATH(index, D[0:size]), in proof order (§2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    return list(reversed(ranges))


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """The ranges whose MTHs form RFC 9162 PROOF(size1, D[0:size2]), in proof order (§2.1.4.1); empty when
    size1 is 0 or equal to size2."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"need 0 <= size1 <= size2, got {size1} and {size2}")
    if size1 in (0, size2):
        return []
    ranges: list[Range] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        ranges.append((lo, hi))
    return list(reversed(ranges))


def keys_of(ranges: Iterable[Range]) -> list[NodeKey]:
    """Every stored subtree the ranges need, each once."""
    return list(dict.fromkeys(key for start, end in ranges for key in perfect_subtrees(start, end)))


def fold_range(start: int, end: int, stored: Mapping[NodeKey, bytes]) -> bytes:
    """The MTH of leaves [start, end) from the stored perfect subtrees (raises MissingNode naming the first gap)."""
    hashes = []
    for key in perfect_subtrees(start, end):
        value = stored.get(key)
        if value is None:
            raise MissingNode(f"subtree hash at level {key[0]}, index {key[1]} is not stored")
        hashes.append(value)
    return fold(hashes)


def hashes_for(ranges: Sequence[Range], lookup: Lookup) -> list[bytes]:
    """The MTH of each range, reading every stored subtree they need in one lookup."""
    stored = lookup(keys_of(ranges))
    return [fold_range(start, end, stored) for start, end in ranges]


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)
