"""Offline verifier for Suara's integrity log: RFC 9162 proofs, C2SP signed notes, checkpoints, receipts, bundles.

The public API (stable, called by other tools):

- ``suara_verify.rfc9162``: ``leaf_hash``, ``node_hash``, ``root``, ``verify_inclusion``, ``verify_consistency``,
  and the reference proof generators ``inclusion_proof`` and ``consistency_proof``;
- ``suara_verify.note.verify(note, vkeys) -> list[str]``;
- ``suara_verify.checkpoint``, ``suara_verify.receipt`` and ``suara_verify.bundle`` for the higher-level formats.

Every check raises ``VerificationError``; input the caller controls (a verifier key, a file path) that cannot be
parsed raises ``MalformedInput``.
"""

from suara_verify.errors import MalformedInput, VerificationError

__all__ = ["MalformedInput", "VerificationError", "__version__"]
__version__ = "1.0.0"
