"""A receipt for one event: a C2SP tlog-proof (index, inclusion proof, signed checkpoint) to keep with the leaf."""

from __future__ import annotations

import base64
from collections.abc import Sequence

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"


def tlog_proof(index: int, proof: Sequence[bytes], checkpoint_note: bytes) -> bytes:
    """Header, `index N`, one base64 proof hash per line, a blank line, then the signed checkpoint."""
    lines = [TLOG_PROOF_HEADER, f"index {index}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n").encode() + checkpoint_note
