"""C2SP signed-note, tlog-checkpoint and tlog-proof: the spec's example vector, and every way a note can be wrong."""

from __future__ import annotations

import base64

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from suara_verify import MalformedInput, VerificationError, checkpoint, jcs, note, receipt, rfc9162

# The example of golang.org/x/mod/sumdb/note (note.go package documentation), which C2SP signed-note is
# specified from: verifier key, signer key, text and the signed note, byte for byte.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_TEXT = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()
PETER_NOTE = PETER_TEXT + b"\n" + PETER_SIG
# The same documentation's doubly-signed note; EnochRoot's verifier key is not published, so it is an unknown key.
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
).encode()


def test_spec_example_note_verifies_with_its_verifier_key() -> None:
    assert note.verify(PETER_NOTE, [PETER_VKEY]) == ["PeterNeumann"]
    assert note.open_note(PETER_NOTE, [PETER_VKEY]).text == PETER_TEXT


def test_signing_the_spec_example_reproduces_it_byte_for_byte() -> None:
    assert note.sign(PETER_TEXT, [PETER_SKEY]) == PETER_NOTE
    assert str(note.parse_skey(PETER_SKEY).verifier) == PETER_VKEY


def test_signatures_by_unknown_keys_are_ignored() -> None:
    assert note.verify(PETER_NOTE + ENOCH_SIG, [PETER_VKEY]) == ["PeterNeumann"]
    _, other = note.generate_key("PeterNeumann")  # same name, other key id: also unknown
    assert note.verify(PETER_NOTE, [PETER_VKEY, other]) == ["PeterNeumann"]


def test_a_note_signed_only_by_unknown_keys_is_rejected() -> None:
    _, rogue_vkey = note.generate_key("rogue.example")
    with pytest.raises(VerificationError, match="not signed by any trusted key"):
        note.verify(PETER_NOTE, [rogue_vkey])


def test_a_rogue_signature_under_the_trusted_name_and_id_is_rejected() -> None:
    blob = base64.b64decode(PETER_SIG.decode().split(" ")[2])
    forged = blob[:4] + bytes(64)  # right key id, wrong signature
    line = f"— PeterNeumann {base64.b64encode(forged).decode()}\n".encode()
    with pytest.raises(VerificationError, match="does not verify"):
        note.verify(PETER_TEXT + b"\n" + line, [PETER_VKEY])


@pytest.mark.parametrize(
    "mangled",
    [
        pytest.param(PETER_NOTE.replace(b"cryptography", b"cryptographY"), id="edited text"),
        pytest.param(PETER_TEXT + b"\n\n" + PETER_SIG, id="extra blank line before signatures"),
        pytest.param(PETER_NOTE + b"\n", id="extra blank line at the end"),
        pytest.param(b"\n" + PETER_NOTE, id="extra blank line at the start"),
        pytest.param(PETER_TEXT + PETER_SIG, id="no blank line"),
        pytest.param(PETER_NOTE[:-1], id="no final newline"),
        pytest.param(PETER_NOTE.replace(b"If", b"I\xff"), id="invalid UTF-8"),
        pytest.param(PETER_NOTE.replace(b"If", b"I\x01"), id="control character"),
        pytest.param(PETER_NOTE.replace(b"\n", b"\r\n"), id="CRLF line ends"),
        pytest.param(PETER_NOTE.replace("—".encode(), b"-"), id="hyphen for em dash"),
        pytest.param(PETER_NOTE.replace(b"AM=\n", b"AM\n"), id="signature without padding"),
        pytest.param(PETER_NOTE.replace(b"x08go", b"x08g*"), id="signature not base64"),
        pytest.param(PETER_TEXT + b"\n" + "— PeterNeumann AAAA\n".encode(), id="signature too short"),
        pytest.param(b"", id="empty"),
    ],
)
def test_malformed_or_edited_notes_are_rejected(mangled: bytes) -> None:
    with pytest.raises(VerificationError):
        note.verify(mangled, [PETER_VKEY])


def test_too_many_signatures_are_rejected() -> None:
    with pytest.raises(VerificationError, match="more than"):
        note.verify(PETER_NOTE + ENOCH_SIG * note.MAX_SIGNATURES, [PETER_VKEY])


def test_every_single_byte_change_to_a_verifier_key_is_refused() -> None:
    b = PETER_VKEY.encode()
    for i in range(len(b)):
        mangled = bytearray(b)
        mangled[i] = (mangled[i] + 1) % 128
        with pytest.raises(MalformedInput):
            note.parse_vkey(mangled.decode())
    for cut in range(1, len(b)):
        with pytest.raises(MalformedInput):
            note.parse_vkey(b[:cut].decode())


def test_a_generated_key_signs_and_verifies() -> None:
    skey, vkey = note.generate_key("kedirikota.go.id/suara/audit")
    signed = note.sign(b"hello\n", [skey])
    assert note.verify(signed, [vkey]) == ["kedirikota.go.id/suara/audit"]
    assert "PRIVATE" not in repr(note.parse_skey(skey))


# -- checkpoints --------------------------------------------------------------------------------------------------

ROOT = rfc9162.root([rfc9162.leaf_hash(b"a"), rfc9162.leaf_hash(b"b")])


def test_checkpoint_round_trip() -> None:
    cp = checkpoint.Checkpoint("example.com/log", 2, ROOT)
    assert checkpoint.parse(cp.body()) == cp
    skey, vkey = note.generate_key("example.com/log")
    opened = checkpoint.open_checkpoint(note.sign(cp.body(), [skey]), [vkey], origin="example.com/log")
    assert opened.checkpoint == cp
    with pytest.raises(VerificationError, match="origin"):
        checkpoint.open_checkpoint(note.sign(cp.body(), [skey]), [vkey], origin="example.com/other")


@pytest.mark.parametrize(
    "body",
    [
        b"example.com/log\n02\n" + base64.b64encode(ROOT) + b"\n",
        b"example.com/log\n-2\n" + base64.b64encode(ROOT) + b"\n",
        b"example.com/log\n2\n" + base64.b64encode(ROOT[:31]) + b"\n",
        b"example.com/log\n2\n" + base64.b64encode(ROOT),
        b"example.com/log\n2\n" + base64.b64encode(ROOT) + b"\n\n",
        b"\n2\n" + base64.b64encode(ROOT) + b"\n",
        b"example.com/log\n2\n",
        b"example.com/log\n2\n" + base64.b64encode(ROOT).rstrip(b"=") + b"\n",
    ],
    ids=["leading zero", "negative", "short root", "no newline", "empty extension", "no origin", "no root", "no pad"],
)
def test_malformed_checkpoint_bodies_are_rejected(body: bytes) -> None:
    with pytest.raises(VerificationError):
        checkpoint.parse(body)


# -- receipts (tlog-proof) ----------------------------------------------------------------------------------------

LEAVES = [f"leaf {i}".encode() for i in range(11)]
HASHES = [rfc9162.leaf_hash(x) for x in LEAVES]


@pytest.fixture(scope="module")
def log_key() -> tuple[str, str]:
    return note.generate_key("example.com/log")


def _receipt(index: int, skey: str, extra: bytes | None = None) -> bytes:
    cp = checkpoint.Checkpoint("example.com/log", len(HASHES), rfc9162.root(HASHES))
    return receipt.format_receipt(index, rfc9162.inclusion_proof(index, HASHES), note.sign(cp.body(), [skey]), extra)


def test_receipt_round_trip_and_verify(log_key: tuple[str, str]) -> None:
    skey, vkey = log_key
    for index in range(len(LEAVES)):
        data = _receipt(index, skey, extra=b"ctx" if index % 2 else None)
        assert data.startswith(b"c2sp.org/tlog-proof@v1\n")
        result = receipt.verify(data, LEAVES[index], [vkey], origin="example.com/log")
        assert (result.index, result.checkpoint.size) == (index, len(LEAVES))


def test_a_receipt_for_another_record_does_not_verify(log_key: tuple[str, str]) -> None:
    skey, vkey = log_key
    with pytest.raises(VerificationError):
        receipt.verify(_receipt(3, skey), LEAVES[4], [vkey])


@pytest.mark.parametrize("how", ["flip", "truncate", "extend"])
def test_a_tampered_receipt_proof_does_not_verify(log_key: tuple[str, str], how: str) -> None:
    skey, vkey = log_key
    head, _, cp = _receipt(3, skey).partition(b"\n\n")
    lines = head.split(b"\n")
    if how == "flip":
        h = bytearray(base64.b64decode(lines[3]))
        h[0] ^= 1
        lines[3] = base64.b64encode(bytes(h))
    elif how == "truncate":
        lines = lines[:-1]
    else:
        lines.append(base64.b64encode(bytes(32)))
    with pytest.raises(VerificationError):
        receipt.verify(b"\n".join(lines) + b"\n\n" + cp, LEAVES[3], [vkey])


@pytest.mark.parametrize(
    "data",
    [b"c2sp.org/tlog-proof@v2\nindex 0\n\nx", b"c2sp.org/tlog-proof@v1\nindex 01\n\nx", b"c2sp.org/tlog-proof@v1\n"],
    ids=["other version", "leading zero", "no checkpoint"],
)
def test_a_malformed_receipt_is_malformed_input(data: bytes) -> None:
    with pytest.raises(MalformedInput):
        receipt.parse(data)


# -- RFC 8785 canonical form, checked against the rfc8785 package -----------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_form_matches_the_rfc8785_package(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        return  # e.g. lone surrogates: both refuse
    assert jcs.canonical(value) == expected
    assert jcs.canonical(jcs.parse_canonical(expected)) == expected  # and the canonical text is accepted as such


@pytest.mark.parametrize(
    "line",
    [
        b'{"b":1,"a":2}',
        b'{"a": 2}',
        b'{"a":2.0}',
        b'{"a":"\\u0041"}',
        b'{"a":1,"a":1}',
        b'{"a":NaN}',
        b'{"a":1e2}',
        b'{"a":-0}',
        b"[9007199254740993]",
        '{"\ufffd":1,"\U0001f600":2}'.encode(),  # code point order; RFC 8785 sorts UTF-16 units
        b"[1" + b"0" * 400 + b"]",
    ],
)
def test_non_canonical_json_is_told_apart(line: bytes) -> None:
    with pytest.raises(jcs.NotCanonical):
        jcs.parse_canonical(line)
