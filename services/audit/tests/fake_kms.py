"""Stand-ins for a KMS hook named in SUARA_AUDIT_SIGNER_FACTORY (`fake_kms:...`), for the signing-key tests.

A real hook would call the KMS's sign API in `sign`; these keep an Ed25519 key in memory."""

from __future__ import annotations

from suara_audit.domain.note import Ed25519Signer, NoteSigner

ORIGIN = "test.example/audit"
HELD = Ed25519Signer.generate(ORIGIN)
NEXT = Ed25519Signer.generate(ORIGIN)


class KmsSigner:
    """A NoteSigner whose key stays "in the KMS" (here: a private attribute)."""

    def __init__(self, held: Ed25519Signer) -> None:
        self._held = held

    @property
    def name(self) -> str:
        return self._held.name

    @property
    def public_key(self) -> bytes:
        return self._held.public_key

    def sign(self, message: bytes) -> bytes:
        return self._held.sign(message)


def signer() -> NoteSigner:
    return KmsSigner(HELD)


def rotation() -> list[NoteSigner]:
    return [KmsSigner(HELD), KmsSigner(NEXT)]


def nothing() -> list[NoteSigner]:
    return []


def not_a_signer() -> object:
    return "PRIVATE+KEY+..."


NOT_CALLABLE = 42
