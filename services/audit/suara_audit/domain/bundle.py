"""The export bundle's files (docs/audit/formats.md, "Export bundle"), rendered and listed in a signed manifest.

A bundle is a stream of (path, bytes) pieces, each file's pieces contiguous, ending with manifest.note: the log key
signs the SHA-256 of every file it streamed, so an auditor can tell the service's export from anything edited later.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from suara_audit.domain.note import NoteSigner, sign_note

BUNDLE_FORMAT = "suara-audit-bundle/v1"
ENTRIES = "entries.jsonl"
DISCLOSURES = "disclosures.jsonl"
FRONTIER = "frontier.txt"
MANIFEST = "manifest.note"
VERIFY = "VERIFY.md"


def checkpoint_path(size: int) -> str:
    return f"checkpoints/{size}.checkpoint"


def consistency_path(size1: int, size2: int) -> str:
    return f"proofs/consistency-{size1}-{size2}.txt"


def hash_lines(hashes: Sequence[bytes]) -> bytes:
    """One base64 hash per line (proof and frontier files)."""
    return b"".join(base64.b64encode(h) + b"\n" for h in hashes)


@dataclass(frozen=True)
class Piece:
    path: str
    data: bytes


class Manifest:
    """Collects each file's SHA-256 as its pieces pass, then signs the list."""

    def __init__(self, origin: str, first_index: int, size: int) -> None:
        self._origin, self._first, self._size = origin, first_index, size
        self._digests: dict[str, hashlib._Hash] = {}

    def add(self, piece: Piece) -> Piece:
        if piece.path == MANIFEST:
            raise ValueError("manifest.note is written by the manifest itself")
        self._digests.setdefault(piece.path, hashlib.sha256()).update(piece.data)
        return piece

    def body(self) -> bytes:
        lines = [BUNDLE_FORMAT, f"origin {self._origin}", f"range {self._first} {self._size}"]
        lines += [f"{self._digests[path].hexdigest()} {path}" for path in sorted(self._digests)]
        return ("\n".join(lines) + "\n").encode()

    def signed(self, signers: Sequence[NoteSigner]) -> Piece:
        """The manifest signed by every key of the log (several during a key rotation)."""
        return Piece(MANIFEST, sign_note(self.body(), signers))


def chunked(path: str, lines: Iterable[bytes], chunk_bytes: int = 1 << 20) -> Iterator[Piece]:
    """Lines (each without its newline) as pieces of about `chunk_bytes`; always at least one piece, so an empty
    file is still listed in the manifest."""
    buffer = bytearray()
    sent = False
    for line in lines:
        buffer += line + b"\n"
        if len(buffer) >= chunk_bytes:
            yield Piece(path, bytes(buffer))
            buffer.clear()
            sent = True
    if buffer or not sent:
        yield Piece(path, bytes(buffer))


def verify_md(origin: str, first_index: int, size: int, vkeys: Sequence[str]) -> bytes:
    incremental = (
        f"\nThis bundle continues from your saved checkpoint of size {first_index}: pass it with\n"
        f"`--trusted-checkpoint` so the consistency proof `{consistency_path(first_index, size)}` is checked "
        "against it.\n"
        if first_index > 0
        else ""
    )
    keys = (
        f"   `{vkeys[0]}`"
        if len(vkeys) == 1
        else "   " + "\n   ".join(f"`{k}`" for k in vkeys) + "\n   (a key rotation: its checkpoints and manifest carry"
        " a signature by each key; pin the one you trust)"
    )
    return f"""# Verifying this export of the Suara integrity log

Log: `{origin}`, entries {first_index} to {size - 1} (tree size {size}).

1. Install the verifier in a fresh virtual environment (it needs only `cryptography`), from Suara's source
   (the folder `libs/suara-verify`) or a wheel whose SHA-256 you checked, never by name from a public index
   (suara-verify is not published there, so the name could hold anyone's code):
   `python -m venv v && v/bin/pip install ./libs/suara-verify`
2. Obtain the log's verifier key from a source you trust (not from this folder). This export says it is:
{keys}
3. Run:
   `v/bin/suara-verify . --vkey '<the key>' [--trusted-checkpoint <your saved checkpoint>]`
   Exit 0: every entry hashes into the signed checkpoints, the checkpoints extend each other (and your saved one),
   and every file is the one the log signed in `manifest.note`. Exit 1 names the first bad entry or file.
4. Keep `{checkpoint_path(size)}`: next time, pass it as `--trusted-checkpoint` to prove that nothing recorded
   before it was changed or removed since.
{incremental}
`entries.jsonl` holds the leaves byte for byte (canonical JSON). Personal data appears only as commitments;
`disclosures.jsonl` holds the salts and values that still exist (erased ones are gone, the log still verifies).
""".encode()
