"""Signed notes and checkpoints: what suara_verify accepts, and the signer that refuses to fork."""

from __future__ import annotations

import pytest

from suara_audit.domain.note import (
    CheckpointSigner,
    Ed25519Signer,
    ForkRefused,
    InvalidKey,
    check_signer,
    checkpoint_body,
    sign_note,
    verifier_key,
)
from suara_verify import VerificationError, checkpoint, note


def test_a_signed_checkpoint_verifies_with_suara_verify_against_the_verifier_key() -> None:
    signer = CheckpointSigner("kedirikota.go.id/suara/audit", [Ed25519Signer.generate("kedirikota.go.id/suara/audit")])

    signed = signer.sign(42, b"\x07" * 32)

    opened = checkpoint.open_checkpoint(signed.note, [verifier_key(signer.signers[0])], "kedirikota.go.id/suara/audit")
    assert (opened.checkpoint.size, opened.checkpoint.root) == (42, b"\x07" * 32)
    assert signed.note.startswith(
        checkpoint_body("kedirikota.go.id/suara/audit", 42, b"\x07" * 32) + "\n\u2014 ".encode()
    )


def test_the_signer_key_string_round_trips_and_suara_verify_can_sign_with_it() -> None:
    signer = Ed25519Signer.generate("log.example/a")

    again = Ed25519Signer.from_signer_key(signer.signer_key())

    assert verifier_key(again) == verifier_key(signer)
    assert note.verify(note.sign(b"hello\n", [signer.signer_key()]), [verifier_key(signer)]) == ["log.example/a"]
    assert note.verify(sign_note(b"hello\n", [signer]), [verifier_key(signer)]) == ["log.example/a"]


def test_a_signer_key_from_suara_verify_is_read() -> None:
    skey, vkey = note.generate_key("log.example/b")

    assert verifier_key(Ed25519Signer.from_signer_key(skey)) == vkey


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PRIVATE+KEY+name", "reads PRIVATE\\+KEY"),
        ("PRIVATE+KEY+name+00000000+AQ==", "0x01 followed by a 32-byte"),
        ("PRIVATE+KEY+name+zz+AQ==", "not valid hex"),
    ],
)
def test_a_bad_signer_key_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(InvalidKey, match=message):
        Ed25519Signer.from_signer_key(text)


def test_a_signer_key_whose_id_does_not_match_is_refused() -> None:
    parts = Ed25519Signer.generate("n").signer_key().split("+", 4)
    parts[3] = "00000000"

    with pytest.raises(InvalidKey, match="does not match"):
        Ed25519Signer.from_signer_key("+".join(parts))


def test_the_signer_refuses_a_second_root_for_a_size_it_signed() -> None:
    signer = CheckpointSigner("o", [Ed25519Signer.generate("o")])
    first = signer.sign(5, b"\x01" * 32)

    assert signer.sign(5, b"\x01" * 32) == first
    with pytest.raises(ForkRefused, match="tree size 5"):
        signer.sign(5, b"\x02" * 32)


def test_the_signer_refuses_a_root_other_than_the_stored_one_for_a_size() -> None:
    signer = CheckpointSigner("o", [Ed25519Signer.generate("o")])

    with pytest.raises(ForkRefused):
        signer.sign(9, b"\x02" * 32, previous=b"\x01" * 32)


def test_a_note_body_with_a_blank_line_is_not_signed() -> None:
    with pytest.raises(ValueError, match="no blank line"):
        sign_note(b"a\n\nb\n", [Ed25519Signer.generate("o")])


def test_during_a_key_rotation_a_checkpoint_is_signed_by_both_keys_and_either_key_alone_accepts_it() -> None:
    origin = "kedirikota.go.id/suara/audit"
    old, new = Ed25519Signer.generate(origin), Ed25519Signer.generate(origin)  # one name, two keys
    signer = CheckpointSigner(origin, [old, new])

    signed = signer.sign(42, b"\x07" * 32)

    for pinned in (old, new):
        opened = checkpoint.open_checkpoint(signed.note, [verifier_key(pinned)], origin)
        assert opened.checkpoint.size == 42
    assert note.verify(signed.note, [verifier_key(old), verifier_key(new)]) == [origin]
    with pytest.raises(VerificationError):
        note.verify(signed.note, [verifier_key(Ed25519Signer.generate(origin))])  # a third key is not trusted


def test_a_log_without_keys_or_with_one_key_twice_is_refused() -> None:
    key = Ed25519Signer.generate("o")

    with pytest.raises(ValueError, match="at least one"):
        CheckpointSigner("o", [])
    with pytest.raises(ValueError, match="twice"):
        CheckpointSigner("o", [key, Ed25519Signer.from_signer_key(key.signer_key())])


def test_a_signer_that_signs_with_another_key_than_it_names_is_refused() -> None:
    named, other = Ed25519Signer.generate("o"), Ed25519Signer.generate("o")

    class Miswired:
        name = "o"
        public_key = named.public_key

        def sign(self, message: bytes) -> bytes:
            return other.sign(message)

    with pytest.raises(InvalidKey, match="does not verify"):
        check_signer(Miswired())
    with pytest.raises(InvalidKey, match="not a NoteSigner"):
        check_signer(object())
    assert check_signer(named) is named
