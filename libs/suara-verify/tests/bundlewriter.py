"""A test-only writer of export bundles, written from docs/audit/formats.md and independent of suara_verify.

It shares no code with the verifier (its own Merkle tree, note signer and leaf builder, on `cryptography` and
`rfc8785`), so the tamper suite tests the verifier against the format rather than against itself. The production
writer is services/audit; the two must be cross-checked by running the production export through suara-verify.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ORIGIN = "kedirikota.go.id/suara/audit"
LEAF_FORMAT = "suara-audit-leaf/v1"
BUNDLE_FORMAT = "suara-audit-bundle/v1"
T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)


# -- signed notes -------------------------------------------------------------------------------------------------


@dataclass
class Key:
    name: str
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n\x01" + self.public).digest()[:4]

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(b"\x01" + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def signature_line(self, text: bytes) -> bytes:
        blob = self.key_id + self.private.sign(text)
        return "— ".encode() + self.name.encode() + b" " + base64.b64encode(blob) + b"\n"


def sign_note(text: bytes, keys: list[Key]) -> bytes:
    assert text.endswith(b"\n")
    return text + b"\n" + b"".join(k.signature_line(text) for k in keys)


# -- Merkle tree (RFC 9162, memoised recursion) -------------------------------------------------------------------


class Tree:
    def __init__(self) -> None:
        self.leaf_hashes: list[bytes] = []
        self._memo: dict[tuple[int, int], bytes] = {}

    def add(self, data: bytes) -> None:
        self.leaf_hashes.append(hashlib.sha256(b"\x00" + data).digest())

    def mth(self, lo: int, hi: int) -> bytes:
        if hi - lo == 0:
            return hashlib.sha256(b"").digest()
        if hi - lo == 1:
            return self.leaf_hashes[lo]
        key = (lo, hi)
        if key not in self._memo:
            k = 1 << ((hi - lo - 1).bit_length() - 1)
            self._memo[key] = hashlib.sha256(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi)).digest()
        return self._memo[key]

    def consistency(self, m: int, n: int) -> list[bytes]:
        if m in (0, n):
            return []
        return self._subproof(m, 0, n, True)

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self.mth(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self.mth(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]

    def inclusion(self, index: int, n: int) -> list[bytes]:
        return self._path(index, 0, n)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*self._path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def frontier(self, n: int) -> list[bytes]:
        out, lo = [], 0
        for bit in reversed(range(n.bit_length())):
            if n & (1 << bit):
                out.append(self.mth(lo, lo + (1 << bit)))
                lo += 1 << bit
        return out


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def commitment(salt: bytes, name: str, value: str) -> str:
    f, v = name.encode(), value.encode()
    digest = hashlib.sha256(
        b"suara-disclosure-v1\x00"
        + len(salt).to_bytes(2, "big")
        + salt
        + len(f).to_bytes(4, "big")
        + f
        + len(v).to_bytes(4, "big")
        + v
    ).digest()
    return b64url(digest)


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the log and its exports --------------------------------------------------------------------------------------


@dataclass
class Log:
    keys: list[Key]
    origin: str = ORIGIN
    tree: Tree = field(default_factory=Tree)
    leaves: list[bytes] = field(default_factory=list)
    disclosures: dict[int, list[dict[str, object]]] = field(default_factory=dict)
    checkpoints: dict[int, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.leaves)

    def append(
        self,
        *,
        complaint: str | None = None,
        recorded_at: datetime | None = None,
        personal: dict[str, str] | None = None,
        event_type: str = "ComplaintSubmitted",
    ) -> int:
        index = self.size
        complaint = complaint or f"C-{index // 3:05d}"
        recorded_at = recorded_at or T0 + timedelta(seconds=index)
        if personal is None:
            personal = {"reporter_contact": f"+62 812 0000 {index:04d}", "description": f"Lampu jalan mati #{index}"}
        disclosed = []
        commitments = {}
        for name, value in sorted(personal.items()):
            salt = secrets.token_bytes(16)
            commitments[name] = commitment(salt, name, value)
            disclosed.append({"index": index, "field": name, "salt": b64url(salt), "value": value})
        event_bytes = f"event {index} of {complaint}".encode()
        leaf = {
            "format": LEAF_FORMAT,
            "origin": self.origin,
            "index": index,
            "event_id": f"evt-{index:06d}",
            "event_type": event_type,
            "complaint_id": complaint,
            "sequence": index % 3 + 1,
            "status": {"from": None, "to": "SUBMITTED"} if index % 3 == 0 else {"from": "SUBMITTED", "to": "ROUTED"},
            "opd": "DISHUB" if index % 2 else None,
            "actor": {"kind": "citizen" if index % 3 == 0 else "system", "id": None, "role": None, "opd": None},
            "occurred_at": rfc3339(recorded_at - timedelta(milliseconds=250)),
            "recorded_at": rfc3339(recorded_at),
            "source": {"topic": "complaints.events.v1", "partition": index % 3, "offset": index},
            "event_sha256": hashlib.sha256(event_bytes).hexdigest(),
            "commitments": commitments,
            "payload": {"category": "penerangan_jalan", "kelurahan": "Mojoroto", "channel": "web", "weight": 1.5},
        }
        data = rfc8785.dumps(leaf)
        self.leaves.append(data)
        self.tree.add(data)
        if disclosed:
            self.disclosures[index] = disclosed
        return index

    def extend(self, count: int) -> None:
        for _ in range(count):
            self.append()

    def root(self, n: int | None = None) -> bytes:
        return self.tree.mth(0, self.size if n is None else n)

    def checkpoint_body(self, n: int, root: bytes | None = None) -> bytes:
        return f"{self.origin}\n{n}\n{b64(root if root is not None else self.root(n))}\n".encode()

    def sign_checkpoint(self, keys: list[Key] | None = None) -> bytes:
        signed = sign_note(self.checkpoint_body(self.size), keys or self.keys)
        self.checkpoints[self.size] = signed
        return signed

    def erase(self, complaint: str) -> None:
        for index in list(self.disclosures):
            if f'"complaint_id":"{complaint}"'.encode() in self.leaves[index]:
                del self.disclosures[index]

    def export(
        self,
        out: Path,
        *,
        first_index: int = 0,
        since: int | None = None,
        manifest_keys: list[Key] | None = None,
    ) -> Path:
        size = self.size
        if size not in self.checkpoints:
            self.sign_checkpoint()
        if out.exists():
            shutil.rmtree(out)
        (out / "checkpoints").mkdir(parents=True)
        (out / "proofs").mkdir()
        files: dict[str, bytes] = {}
        files["entries.jsonl"] = b"".join(line + b"\n" for line in self.leaves[first_index:size])
        files["disclosures.jsonl"] = b"".join(
            rfc8785.dumps(d) + b"\n" for index in range(first_index, size) for d in self.disclosures.get(index, [])
        )
        sizes = sorted(s for s in self.checkpoints if first_index <= s <= size)
        for s in sizes:
            files[f"checkpoints/{s}.checkpoint"] = self.checkpoints[s]
        for m, n in itertools.pairwise(sizes):
            files[f"proofs/consistency-{m}-{n}.txt"] = hash_lines(self.tree.consistency(m, n))
        if since is not None and since != size:
            files[f"proofs/consistency-{since}-{size}.txt"] = hash_lines(self.tree.consistency(since, size))
        if first_index > 0:
            files["frontier.txt"] = hash_lines(self.tree.frontier(first_index))
        files["VERIFY.md"] = f"# Verify\n\nRun `suara-verify . --vkey {self.keys[0].vkey}`.\n".encode()
        for rel, data in files.items():
            (out / rel).write_bytes(data)
        write_manifest(out, self.origin, first_index, size, manifest_keys or self.keys)
        return out


def hash_lines(hashes: list[bytes]) -> bytes:
    return b"".join(base64.b64encode(h) + b"\n" for h in hashes)


def write_manifest(out: Path, origin: str, first_index: int, size: int, keys: list[Key]) -> None:
    """(Re)write manifest.note over the files now in the folder, as a log holding `keys` would."""
    lines = [BUNDLE_FORMAT, f"origin {origin}", f"range {first_index} {size}"]
    paths = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "manifest.note")
    lines += [f"{hashlib.sha256((out / p).read_bytes()).hexdigest()} {p}" for p in paths]
    (out / "manifest.note").write_bytes(sign_note(("\n".join(lines) + "\n").encode(), keys))


def receipt(log: Log, index: int, size: int | None = None) -> bytes:
    """A C2SP tlog-proof for leaf `index` in the signed checkpoint at `size` (default: latest)."""
    size = size if size is not None else max(log.checkpoints)
    lines = ["c2sp.org/tlog-proof@v1", f"index {index}", *(b64(h) for h in log.tree.inclusion(index, size))]
    return ("\n".join(lines) + "\n\n").encode() + log.checkpoints[size]
