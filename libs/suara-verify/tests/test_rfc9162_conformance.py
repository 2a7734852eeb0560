"""RFC 9162 conformance: a naive reference tree, the classic eight-leaf vectors, and hypothesis properties."""

from __future__ import annotations

import functools
import hashlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from suara_verify import VerificationError, rfc9162

# ---------------------------------------------------------------------------------------------------------------
# Reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written out literally (recursive MTH, PATH, PROOF, SUBPROOF),
# sharing no code with the production module. Leaves are prefixes of one list, so a memo on (lo, hi) keeps it fast.
# ---------------------------------------------------------------------------------------------------------------

MAX_SIZE = 300
REF_LEAVES = [f"reference leaf {i}".encode() for i in range(MAX_SIZE)]


def _sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


@functools.cache
def ref_mth(lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + REF_LEAVES[lo])
    k = 1
    while k * 2 < n:
        k *= 2
    return _sha(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi))


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, lo, lo + k), ref_mth(lo + k, hi)]
    return [*ref_path(m - k, lo + k, hi), ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if b else [ref_mth(lo, hi)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, lo, lo + k, b), ref_mth(lo + k, hi)]
    return [*ref_subproof(m - k, lo + k, hi, False), ref_mth(lo, lo + k)]


def ref_consistency(m: int, n: int) -> list[bytes]:
    return [] if m in (0, n) else ref_subproof(m, 0, n, True)


REF_LEAF_HASHES = [rfc9162.leaf_hash(d) for d in REF_LEAVES]


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert rfc9162.leaf_hash(b"abc") == _sha(b"\x00abc")
    assert rfc9162.node_hash(b"l" * 32, b"r" * 32) == _sha(b"\x01" + b"l" * 32 + b"r" * 32)


def test_root_matches_the_reference_tree_for_every_size_up_to_300() -> None:
    rng = rfc9162.CompactRange()
    for n in range(MAX_SIZE + 1):
        assert rfc9162.root(REF_LEAF_HASHES[:n]) == ref_mth(0, n), n
        assert rng.root() == ref_mth(0, n), n
        if n < MAX_SIZE:
            rng.append(REF_LEAF_HASHES[n])


def test_every_reference_inclusion_proof_verifies_for_every_size_up_to_300() -> None:
    for n in range(1, MAX_SIZE + 1):
        root = ref_mth(0, n)
        for i in range(n):
            rfc9162.verify_inclusion(i, n, REF_LEAF_HASHES[i], ref_path(i, 0, n), root)


def test_generated_inclusion_proofs_equal_the_reference() -> None:
    for n in range(1, 130):
        for i in range(n):
            assert rfc9162.inclusion_proof(i, REF_LEAF_HASHES[:n]) == ref_path(i, 0, n), (i, n)
    for n, i in [(300, 0), (300, 299), (257, 256), (256, 255), (255, 128)]:
        assert rfc9162.inclusion_proof(i, REF_LEAF_HASHES[:n]) == ref_path(i, 0, n), (i, n)


def test_every_reference_consistency_proof_verifies_for_every_pair_up_to_200() -> None:
    for n in range(0, 201):
        for m in range(0, n + 1):
            rfc9162.verify_consistency(m, n, ref_mth(0, m), ref_mth(0, n), ref_consistency(m, n))


def test_generated_consistency_proofs_equal_the_reference() -> None:
    for n in range(0, 80):
        for m in range(0, n + 1):
            assert rfc9162.consistency_proof(m, n, REF_LEAF_HASHES) == ref_consistency(m, n), (m, n)
    for m, n in [(1, 300), (128, 300), (255, 256), (256, 257), (200, 299)]:
        assert rfc9162.consistency_proof(m, n, REF_LEAF_HASHES) == ref_consistency(m, n), (m, n)


def test_frontier_of_any_size_folds_into_its_root_and_keeps_appending() -> None:
    for size in range(0, 140):
        whole = rfc9162.CompactRange()
        whole.extend(REF_LEAF_HASHES[:size])
        resumed = rfc9162.CompactRange.from_frontier(size, whole.frontier)
        assert resumed.root() == ref_mth(0, size)
        resumed.extend(REF_LEAF_HASHES[size : size + 37])
        assert resumed.root() == ref_mth(0, size + 37)


def test_a_frontier_with_the_wrong_number_of_hashes_is_refused() -> None:
    with pytest.raises(VerificationError):
        rfc9162.CompactRange.from_frontier(5, [b"\x00" * 32])


# ---------------------------------------------------------------------------------------------------------------
# The classic eight-leaf test vectors. Leaves and roots for n = 0..8 are LeafInputs()/RootHashes() of
# github.com/transparency-dev/merkle testonly/constants.go (carried over from certificate-transparency's
# merkle_tree_test.cc kSHA256Roots); the proofs are from its NodeHashes() and proof tests.
# ---------------------------------------------------------------------------------------------------------------

CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def _hx(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


CT_INCLUSION = {
    (0, 8): _hx(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ),
    (5, 8): _hx(
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
}
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): _hx(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ),
    (6, 8): _hx(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
    (2, 5): _hx(
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ),
}


@pytest.mark.parametrize("n", range(9))
def test_eight_leaf_vector_root(n: int) -> None:
    assert rfc9162.root([rfc9162.leaf_hash(d) for d in CT_LEAVES[:n]]) == CT_ROOTS[n]


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_eight_leaf_vector_inclusion(index: int, size: int) -> None:
    hashes = [rfc9162.leaf_hash(d) for d in CT_LEAVES[:size]]
    assert rfc9162.inclusion_proof(index, hashes) == CT_INCLUSION[index, size]
    rfc9162.verify_inclusion(index, size, hashes[index], CT_INCLUSION[index, size], CT_ROOTS[size])


@pytest.mark.parametrize(("size1", "size2"), sorted(CT_CONSISTENCY))
def test_eight_leaf_vector_consistency(size1: int, size2: int) -> None:
    hashes = [rfc9162.leaf_hash(d) for d in CT_LEAVES]
    assert rfc9162.consistency_proof(size1, size2, hashes) == CT_CONSISTENCY[size1, size2]
    rfc9162.verify_consistency(size1, size2, CT_ROOTS[size1], CT_ROOTS[size2], CT_CONSISTENCY[size1, size2])
    if size1 != size2:
        with pytest.raises(VerificationError):
            rfc9162.verify_consistency(size1, size2, CT_ROOTS[size1 - 1], CT_ROOTS[size2], CT_CONSISTENCY[size1, size2])


# ---------------------------------------------------------------------------------------------------------------
# Malformed input always raises VerificationError (never IndexError, TypeError or a silent pass).
# ---------------------------------------------------------------------------------------------------------------

H = b"\x11" * 32


@pytest.mark.parametrize(
    ("index", "size", "leaf", "proof", "root"),
    [
        (-1, 4, H, [H, H], H),
        (0, -4, H, [H, H], H),
        (4, 4, H, [H, H], H),
        (0, 0, H, [], H),
        (True, 4, H, [H, H], H),
        (0, 4.0, H, [H, H], H),
        (0, 4, H[:31], [H, H], H),
        (0, 4, H, [H, H[:31]], H),
        (0, 4, H, [H, H], H + b"\x00"),
        (0, 4, H, [H], H),
        (0, 4, H, [H, H, H], H),
        (0, 4, H, "not a list", H),
        (0, 4, "not bytes", [H, H], H),
    ],
)
def test_malformed_inclusion_input_raises_verification_error(
    index: object, size: object, leaf: object, proof: object, root: object
) -> None:
    with pytest.raises(VerificationError):
        rfc9162.verify_inclusion(index, size, leaf, proof, root)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof"),
    [
        (5, 4, H, H, []),
        (-1, 4, H, H, []),
        (1, -1, H, H, []),
        (4, 4, H, H, [H]),
        (4, 4, H, b"\x12" * 32, []),
        (0, 4, H, H, []),
        (0, 4, rfc9162.EMPTY_ROOT, H, [H]),
        (3, 4, H, H, []),
        (3, 4, H, H, [H] * 9),
        (3, 4, H, H[:5], [H, H, H]),
        (False, 4, H, H, []),
    ],
)
def test_malformed_consistency_input_raises_verification_error(
    size1: object, size2: object, root1: object, root2: object, proof: object
) -> None:
    with pytest.raises(VerificationError):
        rfc9162.verify_consistency(size1, size2, root1, root2, proof)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [5, 0, "text", None, [b"x"]])
def test_leaf_hash_of_anything_but_bytes_raises_verification_error(data: object) -> None:
    # bytes(5) would be five zero bytes: hashing it would silently commit to data nobody gave.
    with pytest.raises(VerificationError):
        rfc9162.leaf_hash(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("leaf_hashes", [None, H, "hashes", [H, None]])
def test_root_of_anything_but_a_list_of_hashes_raises_verification_error(leaf_hashes: object) -> None:
    with pytest.raises(VerificationError):
        rfc9162.root(leaf_hashes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# Properties over larger trees than the exhaustive tests reach.
# ---------------------------------------------------------------------------------------------------------------

PROP_MAX = 5000
PROP_LEAVES = [rfc9162.leaf_hash(i.to_bytes(4, "big")) for i in range(PROP_MAX)]


@functools.cache
def prop_root(n: int) -> bytes:
    return rfc9162.root(PROP_LEAVES[:n])


def _flip(b: bytes, bit: int) -> bytes:
    a = bytearray(b)
    a[bit // 8] ^= 1 << (bit % 8)
    return bytes(a)


def _shape(index: int, size: int) -> tuple[str, ...] | None:
    """The left/right pattern RFC 9162 §2.1.3.2 walks for (index, size); None when index is outside the tree."""
    if index >= size:
        return None
    fn, sn, out = index, size - 1, []
    while sn:
        if fn & 1 or fn == sn:
            out.append("L")
            if not fn & 1:
                while not fn & 1 and fn:
                    fn >>= 1
                    sn >>= 1
        else:
            out.append("R")
        fn >>= 1
        sn >>= 1
    return tuple(out)


sizes = st.integers(min_value=1, max_value=PROP_MAX)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=sizes)
def test_every_inclusion_proof_verifies_and_any_bit_flip_fails(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = rfc9162.inclusion_proof(index, PROP_LEAVES[:size])
    root = prop_root(size)
    leaf = PROP_LEAVES[index]
    rfc9162.verify_inclusion(index, size, leaf, proof, root)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(VerificationError):
        rfc9162.verify_inclusion(index, size, _flip(leaf, bit), proof, root)
    with pytest.raises(VerificationError):
        rfc9162.verify_inclusion(index, size, leaf, proof, _flip(root, bit))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        with pytest.raises(VerificationError):
            rfc9162.verify_inclusion(index, size, leaf, bad, root)
        with pytest.raises(VerificationError):
            rfc9162.verify_inclusion(index, size, leaf, proof[:-1], root)
    with pytest.raises(VerificationError):
        rfc9162.verify_inclusion(index, size, leaf, [*proof, H], root)

    ibit = data.draw(st.integers(0, 20), label="index bit")
    with pytest.raises(VerificationError):
        rfc9162.verify_inclusion(index ^ (1 << ibit), size, leaf, proof, root)

    # A flipped tree size fails unless it walks the same left/right pattern: RFC 9162 proofs do not bind the size
    # (e.g. leaf 0 of 5 and of 7 have proofs of one shape); the size is bound by the signed checkpoint instead.
    sbit = data.draw(st.integers(0, 20), label="size bit")
    other = size ^ (1 << sbit)
    if _shape(index, other) == _shape(index, size):
        rfc9162.verify_inclusion(index, other, leaf, proof, root)
    else:
        with pytest.raises(VerificationError):
            rfc9162.verify_inclusion(index, other, leaf, proof, root)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size2=sizes)
def test_every_consistency_proof_verifies_and_any_bit_flip_fails(data: st.DataObject, size2: int) -> None:
    size1 = data.draw(st.integers(1, size2), label="size1")
    proof = rfc9162.consistency_proof(size1, size2, PROP_LEAVES)
    root1, root2 = prop_root(size1), prop_root(size2)
    rfc9162.verify_consistency(size1, size2, root1, root2, proof)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(VerificationError):
        rfc9162.verify_consistency(size1, size2, _flip(root1, bit), root2, proof)
    with pytest.raises(VerificationError):
        rfc9162.verify_consistency(size1, size2, root1, _flip(root2, bit), proof)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
        with pytest.raises(VerificationError):
            rfc9162.verify_consistency(size1, size2, root1, root2, bad)
        with pytest.raises(VerificationError):
            rfc9162.verify_consistency(size1, size2, root1, root2, proof[1:])
    with pytest.raises(VerificationError):
        rfc9162.verify_consistency(size1, size2, root1, root2, [*proof, H])


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size2=st.integers(2, PROP_MAX))
def test_a_consistency_proof_for_other_sizes_does_not_verify(data: st.DataObject, size2: int) -> None:
    size1 = data.draw(st.integers(1, size2 - 1), label="size1")
    proof = rfc9162.consistency_proof(size1, size2, PROP_LEAVES)
    other1 = data.draw(st.integers(1, PROP_MAX), label="other size1")
    other2 = data.draw(st.integers(other1, PROP_MAX), label="other size2")
    assume((other1, other2) != (size1, size2))
    # Roots for the claimed sizes: if the proof verified, it would link two honest roots it was not made for.
    with pytest.raises(VerificationError):
        rfc9162.verify_consistency(other1, other2, prop_root(other1), prop_root(other2), proof)
