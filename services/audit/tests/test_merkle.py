"""The stored tree against suara_verify's reference (RFC 9162 §2.1 over all leaves): roots, subtree hashes, proofs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suara_audit.domain import merkle
from suara_audit.domain.merkle import Frontier
from suara_verify import rfc9162


def leaf_hashes(n: int) -> list[bytes]:
    return [rfc9162.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def build(hashes: list[bytes], batch_sizes: list[int]) -> tuple[Frontier, dict[merkle.NodeKey, bytes]]:
    frontier, stored, i, turn = Frontier.empty(), {}, 0, 0
    while i < len(hashes):
        size = batch_sizes[turn % len(batch_sizes)]
        frontier, nodes = frontier.append(hashes[i : i + size])
        for node in nodes:
            assert (node.level, node.index) not in stored, "a subtree hash is written twice"
            stored[(node.level, node.index)] = node.hash
        i, turn = i + size, turn + 1
    return frontier, stored


def test_perfect_subtrees_cover_a_range_aligned_largest_first() -> None:
    assert merkle.perfect_subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.perfect_subtrees(6, 13) == [(1, 3), (2, 2), (0, 12)]
    assert merkle.perfect_subtrees(5, 5) == []


@pytest.mark.parametrize("n", range(0, 300))
def test_every_size_up_to_300_has_the_reference_root_and_stores_every_perfect_subtree(n: int) -> None:
    hashes = leaf_hashes(n)

    frontier, stored = build(hashes, [7, 1, 64, 3])

    assert frontier.size == n
    assert frontier.root() == rfc9162.root(hashes)
    assert len(stored) == sum(n >> level for level in range(n.bit_length() + 1))
    assert list(frontier.hashes) == rfc9162.CompactRange.from_frontier(n, list(frontier.hashes)).frontier


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100, 129])
def test_inclusion_and_consistency_proofs_from_stored_hashes_equal_the_reference(n: int) -> None:
    hashes = leaf_hashes(n)
    _, stored = build(hashes, [5])

    def lookup(keys):
        return {k: stored[k] for k in keys}

    for index in range(n):
        proof = merkle.hashes_for(merkle.inclusion_ranges(index, n), lookup)
        assert proof == rfc9162.inclusion_proof(index, hashes)
        rfc9162.verify_inclusion(index, n, hashes[index], proof, rfc9162.root(hashes))
    for size1 in range(n + 1):
        proof = merkle.hashes_for(merkle.consistency_ranges(size1, n), lookup)
        assert proof == rfc9162.consistency_proof(size1, n, hashes)
        rfc9162.verify_consistency(size1, n, rfc9162.root(hashes[:size1]), rfc9162.root(hashes), proof)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 400), batches=st.lists(st.integers(1, 40), min_size=1, max_size=6), data=st.data())
def test_any_batching_gives_the_same_tree_and_proofs_that_verify(n: int, batches: list[int], data) -> None:
    hashes = leaf_hashes(n)
    frontier, stored = build(hashes, batches)
    index = data.draw(st.integers(0, n - 1))
    size1 = data.draw(st.integers(0, n))

    proof = merkle.hashes_for(merkle.inclusion_ranges(index, n), lambda keys: {k: stored[k] for k in keys})
    consistency = merkle.hashes_for(merkle.consistency_ranges(size1, n), lambda keys: {k: stored[k] for k in keys})

    assert frontier.root() == rfc9162.root(hashes)
    rfc9162.verify_inclusion(index, n, hashes[index], proof, frontier.root())
    rfc9162.verify_consistency(size1, n, merkle.fold_range(0, size1, stored), frontier.root(), consistency)


def test_a_missing_subtree_hash_is_named() -> None:
    _, stored = build(leaf_hashes(8), [8])
    del stored[(3, 0)]

    with pytest.raises(merkle.MissingNode, match="level 3, index 0"):
        merkle.fold_range(0, 8, stored)


def test_a_frontier_with_the_wrong_number_of_hashes_is_refused() -> None:
    with pytest.raises(ValueError, match="a tree of size 3 has 2 frontier hashes, not 1"):
        Frontier(3, (b"\x00" * 32,))
