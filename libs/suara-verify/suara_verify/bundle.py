"""Verify an export bundle of the Suara integrity log (docs/audit/formats.md, "Export bundle").

One streaming pass over ``entries.jsonl`` recomputes every leaf hash from the exact line bytes and folds it into a
compact range (the frontier), comparing the root with every signed checkpoint on the way; memory stays O(log n)
apart from the disclosures. Around that pass: the signed manifest and every file's SHA-256, every checkpoint's
signature, the consistency proofs, the auditor's trusted checkpoint (rollback and fork), and the leaf fields.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from suara_verify import checkpoint, jcs, note, rfc9162
from suara_verify.encoding import b64decode, b64encode, b64url_nopad, b64url_nopad_decode, decimal
from suara_verify.errors import MalformedInput, VerificationError

__all__ = [
    "BUNDLE_FORMAT",
    "DEFAULT_TOLERANCE_SECONDS",
    "LEAF_FORMAT",
    "Problem",
    "Verdict",
    "commitment",
    "verify_bundle",
]

BUNDLE_FORMAT = "suara-audit-bundle/v1"
LEAF_FORMAT = "suara-audit-leaf/v1"
DISCLOSURE_TAG = b"suara-disclosure-v1\x00"
MIN_SALT_BYTES = 16
DEFAULT_TOLERANCE_SECONDS = 300.0
MAX_PROBLEMS = 100

ENTRIES = "entries.jsonl"
DISCLOSURES = "disclosures.jsonl"
FRONTIER = "frontier.txt"
MANIFEST = "manifest.note"

# Problem ranks: the verdict names the first problem in this order, so an edited entry is reported by its index
# rather than by the manifest hash of the file that holds it.
RANK_ENTRY = 0  # one entry (or the disclosure of one entry), by index
RANK_RANGE = 1  # a run of entries that does not hash to a signed root
RANK_LOG = 2  # checkpoints, frontier, proofs, the trusted checkpoint
RANK_MANIFEST = 3  # manifest signature, listed/unlisted files, file hashes

_CHECKPOINT_NAME = re.compile(r"checkpoints/(0|[1-9][0-9]{0,19})\.checkpoint")
_PROOF_NAME = re.compile(r"proofs/consistency-(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})\.txt")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Problem:
    """One thing that does not verify: the file it is in, the entry index when there is one, and what is wrong."""

    file: str
    message: str
    index: int | None = None
    rank: int = RANK_LOG
    first_index: int | None = None  # for RANK_RANGE: the run of entries that holds the change
    last_index: int | None = None

    def describe(self) -> str:
        where = self.file
        if self.index is not None:
            where += f": index {self.index}"
        elif self.first_index is not None:
            where += f": indices {self.first_index}..{self.last_index}"
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "index": self.index, "message": self.message}
        if self.first_index is not None:
            out["range"] = [self.first_index, self.last_index]
        return out


@dataclass
class Verdict:
    """The outcome of verifying one bundle. ``exit_code`` is 0 when valid, 1 when anything was tampered with."""

    bundle: str
    problems: list[Problem] = field(default_factory=list)
    problems_not_shown: int = 0
    origin: str | None = None
    first_index: int | None = None
    size: int | None = None
    root: bytes | None = None
    checkpoints: list[int] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)
    trusted: checkpoint.Checkpoint | None = None
    entries_verified: int = 0
    disclosures_verified: int = 0
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS
    notes: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_json(self) -> dict[str, Any]:
        first = self.first_problem
        return {
            "valid": self.valid,
            "exit_code": self.exit_code,
            "bundle": self.bundle,
            "origin": self.origin,
            "first_index": self.first_index,
            "size": self.size,
            "root": None if self.root is None else b64encode(self.root),
            "checkpoints": self.checkpoints,
            "signers": self.signers,
            "trusted_checkpoint": None
            if self.trusted is None
            else {"origin": self.trusted.origin, "size": self.trusted.size, "root": b64encode(self.trusted.root)},
            "entries_verified": self.entries_verified,
            "disclosures_verified": self.disclosures_verified,
            "tolerance_seconds": self.tolerance_seconds,
            "first_problem": None if first is None else first.to_json(),
            "problems": [p.to_json() for p in self.problems],
            "problems_not_shown": self.problems_not_shown,
            "notes": self.notes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


def commitment(salt: bytes, field_name: str, value: str) -> str:
    """The salted commitment a leaf holds for one personal-data field (docs/audit/formats.md)."""
    name, data = field_name.encode(), value.encode()
    digest = hashlib.sha256(
        DISCLOSURE_TAG
        + len(salt).to_bytes(2, "big")
        + salt
        + len(name).to_bytes(4, "big")
        + name
        + len(data).to_bytes(4, "big")
        + data
    ).digest()
    return b64url_nopad(digest)


def verify_bundle(
    path: str | os.PathLike[str],
    vkeys: list[str],
    trusted_checkpoint: bytes | None = None,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    trusted_label: str = "trusted checkpoint",
) -> Verdict:
    """Verify the bundle folder at ``path`` against pinned verifier keys (and the auditor's trusted checkpoint).

    Returns a Verdict listing every problem found (first problem first). Raises MalformedInput for input the
    caller controls: no or malformed verifier keys, a path that is not a folder, a trusted checkpoint that does
    not parse or is not signed by a pinned key, a negative tolerance.
    """
    started = time.perf_counter()
    if not vkeys:
        raise MalformedInput("at least one verifier key is required")
    for vkey in vkeys:
        note.parse_vkey(vkey)
    if tolerance_seconds < 0:
        raise MalformedInput("the timestamp tolerance must not be negative")
    folder = Path(path)
    if not folder.is_dir():
        raise MalformedInput(f"{path} is not a folder (an export bundle is a folder)")
    trusted = None
    if trusted_checkpoint is not None:
        try:
            trusted = checkpoint.open_checkpoint(trusted_checkpoint, vkeys).checkpoint
        except VerificationError as e:
            raise MalformedInput(f"{trusted_label} does not verify with the given keys: {e}") from e
    run = _Run(folder, vkeys, trusted, tolerance_seconds, trusted_label)
    run.verify()
    verdict = run.verdict
    verdict.elapsed_seconds = time.perf_counter() - started
    return verdict


@dataclass(frozen=True)
class _Manifest:
    origin: str
    first_index: int
    size: int
    files: dict[str, str]


@dataclass(frozen=True)
class _Disclosure:
    line: int
    field: str
    salt: bytes
    value: str


class _Run:
    """The state of one verification pass."""

    def __init__(
        self,
        folder: Path,
        vkeys: list[str],
        trusted: checkpoint.Checkpoint | None,
        tolerance_seconds: float,
        trusted_label: str,
    ) -> None:
        self.folder = folder
        self.vkeys = vkeys
        self.trusted = trusted
        self.tolerance_us = round(tolerance_seconds * 1_000_000)
        self.trusted_label = trusted_label
        self.verdict = Verdict(bundle=str(folder), trusted=trusted, tolerance_seconds=tolerance_seconds)
        self._problems: list[Problem] = []
        self.checkpoints: dict[int, checkpoint.Checkpoint] = {}
        self.computed_roots: dict[int, bytes] = {}

    # -- reporting ----------------------------------------------------------------------------------------------

    def problem(self, file: str, message: str, index: int | None = None, rank: int | None = None) -> None:
        if rank is None:
            rank = RANK_ENTRY if index is not None else RANK_LOG
        self._problems.append(Problem(file, message, index, rank))

    def finish(self) -> None:
        order = {id(p): i for i, p in enumerate(self._problems)}
        ranked = sorted(
            self._problems,
            key=lambda p: (p.rank, p.index if p.index is not None else -1, order[id(p)]),
        )
        self.verdict.problems = ranked[:MAX_PROBLEMS]
        self.verdict.problems_not_shown = max(0, len(ranked) - MAX_PROBLEMS)

    # -- the pass -----------------------------------------------------------------------------------------------

    def verify(self) -> None:
        manifest = self.read_manifest()
        if manifest is None:
            self.finish()
            return
        v = self.verdict
        v.origin, v.first_index, v.size = manifest.origin, manifest.first_index, manifest.size
        present = self.files_on_disk()
        self.check_file_set(manifest, present)
        self.read_checkpoints(manifest, present)
        start = self.read_frontier(manifest, present)
        disclosures = self.read_disclosures(manifest, present)
        self.stream_entries(manifest, present, start, disclosures)
        self.check_proofs(manifest, present)
        self.check_trusted(manifest, present)
        v.checkpoints = sorted(self.checkpoints)
        if manifest.size in self.checkpoints:
            v.root = self.checkpoints[manifest.size].root
        self.finish()

    def read_manifest(self) -> _Manifest | None:
        data = self.read(MANIFEST)
        if data is None:
            self.problem(MANIFEST, "missing: the bundle has no signed manifest", rank=RANK_MANIFEST)
            return None
        try:
            opened = note.open_note(data, self.vkeys)
        except VerificationError as e:
            self.problem(MANIFEST, f"signature does not verify: {e}", rank=RANK_MANIFEST)
            return None
        self.add_signers(opened.signers)
        try:
            return _parse_manifest(opened.text)
        except ValueError as e:
            self.problem(MANIFEST, f"malformed body: {e}", rank=RANK_MANIFEST)
            return None

    def files_on_disk(self) -> set[str]:
        found: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(self.folder):
            dirnames.sort()
            for name in filenames:
                rel = (Path(dirpath) / name).relative_to(self.folder).as_posix()
                if rel != MANIFEST:
                    found.add(rel)
        return found

    def check_file_set(self, manifest: _Manifest, present: set[str]) -> None:
        for rel in sorted(set(manifest.files) - present):
            self.problem(rel, "listed in manifest.note but missing from the bundle", rank=RANK_MANIFEST)
        for rel in sorted(present - set(manifest.files)):
            self.problem(rel, "present in the bundle but not listed in manifest.note", rank=RANK_MANIFEST)
        for rel in sorted(set(manifest.files) & present):
            if rel == ENTRIES:
                continue  # hashed while it is streamed
            if _file_sha256(self.folder / rel) != manifest.files[rel]:
                self.problem(rel, "SHA-256 does not match manifest.note", rank=RANK_MANIFEST)

    def read_checkpoints(self, manifest: _Manifest, present: set[str]) -> None:
        for rel in sorted(p for p in present if p.startswith("checkpoints/")):
            m = _CHECKPOINT_NAME.fullmatch(rel)
            if m is None:
                self.problem(rel, "not a checkpoint file name (checkpoints/<size>.checkpoint)")
                continue
            data = self.read(rel) or b""
            try:
                signed = checkpoint.open_checkpoint(data, self.vkeys, manifest.origin)
            except VerificationError as e:
                self.problem(rel, f"checkpoint does not verify: {e}")
                continue
            cp = signed.checkpoint
            if cp.size != int(m.group(1)):
                self.problem(rel, f"file name says size {m.group(1)} but the signed checkpoint has size {cp.size}")
                continue
            if not manifest.first_index <= cp.size <= manifest.size:
                self.problem(
                    rel, f"size {cp.size} is outside the bundle's range {manifest.first_index}..{manifest.size}"
                )
                continue
            self.add_signers(signed.signers)
            self.checkpoints[cp.size] = cp
        last = f"checkpoints/{manifest.size}.checkpoint"
        if manifest.size not in self.checkpoints and last not in present:
            self.problem(last, f"missing: no signed checkpoint at the bundle's size {manifest.size}")

    def read_frontier(self, manifest: _Manifest, present: set[str]) -> rfc9162.CompactRange | None:
        if manifest.first_index == 0:
            if FRONTIER in present:
                self.problem(FRONTIER, "present although the bundle starts at index 0")
            return rfc9162.CompactRange()
        data = self.read(FRONTIER)
        if data is None:
            self.problem(FRONTIER, f"missing: needed because the bundle starts at index {manifest.first_index}")
            return None
        try:
            hashes = _hash_lines(data, FRONTIER)
            return rfc9162.CompactRange.from_frontier(manifest.first_index, hashes)
        except (ValueError, VerificationError) as e:
            self.problem(FRONTIER, str(e))
            return None

    def read_disclosures(self, manifest: _Manifest, present: set[str]) -> dict[int, list[_Disclosure]]:
        found: dict[int, list[_Disclosure]] = {}
        if DISCLOSURES not in present:
            return found
        with (self.folder / DISCLOSURES).open("rb") as f:
            for number, line in enumerate(f, start=1):
                try:
                    index, d = _parse_disclosure(line, number)
                except ValueError as e:
                    self.problem(DISCLOSURES, f"line {number}: {e}")
                    continue
                if not manifest.first_index <= index < manifest.size:
                    self.problem(DISCLOSURES, f"line {number}: index {index} is not in this bundle", index)
                    continue
                found.setdefault(index, []).append(d)
        return found

    def stream_entries(
        self,
        manifest: _Manifest,
        present: set[str],
        tree: rfc9162.CompactRange | None,
        disclosures: dict[int, list[_Disclosure]],
    ) -> None:
        if ENTRIES not in present:
            if ENTRIES not in manifest.files:
                self.problem(ENTRIES, "missing from the bundle and from manifest.note", rank=RANK_MANIFEST)
            return
        first, size = manifest.first_index, manifest.size
        compare_at = sorted(set(self.checkpoints) | self.trusted_sizes(first, size))
        pending = iter(compare_at)
        next_size = next(pending, None)
        verified_up_to = first  # the largest size whose root matched a signed one so far
        range_reported = False

        def compare(at: int, computed: bytes) -> None:
            nonlocal verified_up_to, range_reported
            self.computed_roots[at] = computed
            cp = self.checkpoints.get(at)
            if cp is None or range_reported:
                return
            if cp.root == computed:
                verified_up_to = at
                return
            range_reported = True
            if at == first:
                self.problem(FRONTIER, f"folds into a root other than the signed checkpoint of size {at}")
                return
            self._problems.append(
                Problem(
                    ENTRIES,
                    f"leaves do not hash to the root signed in checkpoints/{at}.checkpoint: an entry in this run "
                    "was altered, inserted, removed or reordered",
                    None,
                    RANK_RANGE,
                    verified_up_to,
                    at - 1,
                )
            )

        leaves = _LeafChecks(self, manifest, disclosures)
        digest = hashlib.sha256()
        index = first
        if tree is not None:
            while next_size is not None and next_size <= first:
                if next_size == first:
                    compare(first, tree.root())
                next_size = next(pending, None)
        extra = 0
        with (self.folder / ENTRIES).open("rb") as f:
            for line in f:
                digest.update(line)
                if index >= size:
                    extra += 1  # still hashed, for the manifest check
                    continue
                if line.endswith(b"\n"):
                    data = line[:-1]
                else:
                    data = line
                    self.problem(ENTRIES, "the last line has no newline", index)
                leaves.check(index, data)
                index += 1
                if tree is not None:
                    tree.append(rfc9162.leaf_hash(data))
                    if index == next_size:
                        compare(index, tree.root())
                        next_size = next(pending, None)
        if extra:
            self.problem(ENTRIES, f"has {extra} entries beyond the bundle's size {size}", size)
        elif index < size:
            self.problem(
                ENTRIES,
                f"missing: the file ends after {index - first} entries but the bundle's range runs to index {size - 1}",
                index,
            )
        leaves.finish()
        self.verdict.entries_verified = index - first
        if ENTRIES in manifest.files and digest.hexdigest() != manifest.files[ENTRIES]:
            self.problem(ENTRIES, "SHA-256 does not match manifest.note", rank=RANK_MANIFEST)

    def trusted_sizes(self, first: int, size: int) -> set[int]:
        t = self.trusted
        return {t.size} if t is not None and first <= t.size <= size else set()

    def check_proofs(self, manifest: _Manifest, present: set[str]) -> None:
        sizes = sorted(self.checkpoints)
        for m, n in itertools.pairwise(sizes):
            rel = f"proofs/consistency-{m}-{n}.txt"
            if rel not in present:
                self.problem(rel, f"missing: the consistency proof between checkpoints {m} and {n}")
                continue
            self.check_proof(rel, m, n, self.checkpoints[m].root, self.checkpoints[n].root)
        consecutive = set(itertools.pairwise(sizes))
        trusted_size = self.trusted.size if self.trusted is not None else None
        for rel in sorted(p for p in present if p.startswith("proofs/")):
            match = _PROOF_NAME.fullmatch(rel)
            if match is None:
                self.problem(rel, "not a proof file name (proofs/consistency-<m>-<n>.txt)")
                continue
            m, n = int(match.group(1)), int(match.group(2))
            if (m, n) in consecutive or m == trusted_size:
                continue  # checked above, or against the trusted checkpoint below
            if m in self.checkpoints and n in self.checkpoints:
                self.check_proof(rel, m, n, self.checkpoints[m].root, self.checkpoints[n].root)
            else:
                self.verdict.notes.append(f"{rel} not checked: no trusted checkpoint of size {m} was given")

    def check_proof(self, rel: str, m: int, n: int, root_m: bytes, root_n: bytes) -> bool:
        data = self.read(rel)
        if data is None:
            self.problem(rel, "missing")
            return False
        try:
            rfc9162.verify_consistency(m, n, root_m, root_n, _hash_lines(data, rel))
        except (ValueError, VerificationError) as e:
            self.problem(rel, f"consistency proof from {m} to {n} does not verify: {e}")
            return False
        return True

    def check_trusted(self, manifest: _Manifest, present: set[str]) -> None:
        t = self.trusted
        if t is None:
            return
        label, size, first = self.trusted_label, manifest.size, manifest.first_index
        if t.origin != manifest.origin:
            self.problem(label, f"is for log {t.origin!r}, the bundle is for {manifest.origin!r}")
            return
        if t.size > size:
            self.problem(
                label,
                f"rollback: the trusted checkpoint has size {t.size} but the bundle ends at size {size}; "
                "entries the log had already signed are missing",
            )
            return
        latest = self.checkpoints.get(size)
        if t.size == size:
            if latest is not None and latest.root != t.root:
                self.problem(label, f"fork: the bundle's checkpoint of size {size} has another root than yours")
            return
        rel = f"proofs/consistency-{t.size}-{size}.txt"
        if t.size >= first:
            computed = self.computed_roots.get(t.size)
            if computed is not None and computed != t.root:
                self.problem(
                    label,
                    f"fork: the bundle's first {t.size} leaves hash to another root than your trusted checkpoint",
                )
            elif rel in present and latest is not None:
                self.check_proof(rel, t.size, size, t.root, latest.root)
            return
        if rel not in present:
            self.problem(
                rel,
                f"missing: the bundle starts at {first}, after your trusted checkpoint of size {t.size}, and "
                "carries no consistency proof from it",
            )
            return
        if latest is not None and not self.check_proof(rel, t.size, size, t.root, latest.root):
            self.problem(label, f"the bundle is not proven to extend your trusted checkpoint of size {t.size}")

    # -- small helpers ------------------------------------------------------------------------------------------

    def read(self, rel: str) -> bytes | None:
        try:
            return (self.folder / rel).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            self.problem(rel, f"cannot be read: {e.strerror}")
            return None

    def add_signers(self, names: list[str]) -> None:
        for name in names:
            if name not in self.verdict.signers:
                self.verdict.signers.append(name)


class _LeafChecks:
    """The per-entry checks: canonical JSON, the fields of format v1, index sequence, time order, disclosures."""

    def __init__(self, run: _Run, manifest: _Manifest, disclosures: dict[int, list[_Disclosure]]) -> None:
        self.run = run
        self.origin = manifest.origin
        self.disclosures = disclosures
        self.latest_text = ""
        self.latest_index = -1
        self.shift = 0  # claimed index minus position, while entries are displaced

    def check(self, index: int, data: bytes) -> None:
        try:
            leaf = jcs.parse_canonical(data)
        except jcs.NotCanonical as e:
            self.run.problem(ENTRIES, f"entry is {e}", index)
            self.disclosures.pop(index, None)
            return
        try:
            self.fields(index, leaf)
        except ValueError as e:
            self.run.problem(ENTRIES, str(e), index)
            self.disclosures.pop(index, None)
            return
        pending = self.disclosures.pop(index, [])
        if self.shift:
            return  # a displaced entry: its disclosures belong to another position, already reported above
        for d in pending:
            committed = leaf["commitments"].get(d.field)
            if committed is None:
                self.run.problem(DISCLOSURES, f"line {d.line}: the leaf has no commitment for {d.field!r}", index)
            elif commitment(d.salt, d.field, d.value) != committed:
                self.run.problem(
                    DISCLOSURES, f"line {d.line}: does not match the leaf's commitment for {d.field!r}", index
                )
            else:
                self.run.verdict.disclosures_verified += 1

    def fields(self, index: int, leaf: Any) -> None:
        if not isinstance(leaf, dict):
            raise ValueError("entry is not a JSON object")
        if not leaf.keys() >= _REQUIRED:
            raise ValueError(f"entry has no {sorted(_REQUIRED - leaf.keys())[0]!r}")
        if leaf["format"] != LEAF_FORMAT:
            raise ValueError(f"format is {leaf['format']!r}, expected {LEAF_FORMAT!r}")
        if leaf["origin"] != self.origin:
            raise ValueError(f"origin is {leaf['origin']!r}, the bundle's is {self.origin!r}")
        claimed = leaf["index"]
        if type(claimed) is not int:
            raise ValueError(f"index {claimed!r} is not an integer")
        if claimed - index != self.shift:
            # Report where the displacement starts or changes, not every entry behind one deleted line.
            self.shift = claimed - index
            if self.shift:
                raise ValueError(
                    f"the entry at this position says index {claimed}: an entry is missing, duplicated or moved"
                )
        if not (type(leaf["event_id"]) is type(leaf["event_type"]) is type(leaf["complaint_id"]) is str):
            raise ValueError("event_id, event_type and complaint_id must be strings")
        if type(leaf["sequence"]) is not int:
            raise ValueError("sequence is not an integer")
        status = leaf["status"]
        if status is not None and not (
            isinstance(status, dict) and type(status.get("to")) is str and _str_or_null(status.get("from"))
        ):
            raise ValueError("status is neither null nor {from: string or null, to: string}")
        if not _str_or_null(leaf["opd"]):
            raise ValueError("opd is neither a string nor null")
        actor = leaf["actor"]
        if not (
            isinstance(actor, dict)
            and type(actor.get("kind")) is str
            and _str_or_null(actor.get("id"))
            and _str_or_null(actor.get("role"))
            and _str_or_null(actor.get("opd"))
        ):
            raise ValueError("actor is not {kind: string, id, role, opd: string or null}")
        source = leaf["source"]
        if not (
            isinstance(source, dict)
            and type(source.get("topic")) is str
            and type(source.get("partition")) is int
            and type(source.get("offset")) is int
        ):
            raise ValueError("source is not {topic: string, partition: integer, offset: integer}")
        sha = leaf["event_sha256"]
        if type(sha) is not str or not _SHA256_HEX.fullmatch(sha):
            raise ValueError("event_sha256 is not 64 lowercase hex digits")
        commitments = leaf["commitments"]
        if not isinstance(commitments, dict) or not all(type(c) is str and len(c) == 43 for c in commitments.values()):
            raise ValueError("commitments is not an object of base64url SHA-256 commitments")
        if not isinstance(leaf["payload"], dict):
            raise ValueError("payload is not an object")
        occurred = leaf["occurred_at"]
        if occurred is not None:
            _microseconds(occurred, "occurred_at")
        recorded = leaf["recorded_at"]
        if type(recorded) is not str or not _TIME.fullmatch(recorded):
            raise ValueError(f"recorded_at {recorded!r} is not RFC 3339 UTC with microseconds and Z")
        # Fixed-width UTC times compare as strings; the arithmetic is only needed when time goes backwards.
        if recorded >= self.latest_text:
            _microseconds(recorded, "recorded_at")
            self.latest_text, self.latest_index = recorded, index
            return
        behind_us = _microseconds(self.latest_text, "recorded_at") - _microseconds(recorded, "recorded_at")
        if behind_us > self.run.tolerance_us:
            self.run.problem(
                ENTRIES,
                f"recorded_at {recorded} is {behind_us / 1_000_000:.6f} s before {self.latest_text} (index "
                f"{self.latest_index}), beyond the tolerance of {self.run.tolerance_us / 1_000_000:g} s",
                index,
            )

    def finish(self) -> None:
        # Disclosures whose entry never came (a truncated file) are reported with that entry; nothing else to do.
        self.disclosures.clear()


_REQUIRED = frozenset(
    (
        "format",
        "origin",
        "index",
        "event_id",
        "event_type",
        "complaint_id",
        "sequence",
        "status",
        "opd",
        "actor",
        "occurred_at",
        "recorded_at",
        "source",
        "event_sha256",
        "commitments",
        "payload",
    )
)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _str_or_null(value: object) -> bool:
    return value is None or isinstance(value, str)


def _microseconds(value: object, name: str) -> int:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise ValueError(f"{name} {value!r} is not RFC 3339 UTC with microseconds and Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"{name} {value!r} is not a valid time: {e}") from e
    return (moment - _EPOCH) // _MICROSECOND


def _parse_manifest(text: bytes) -> _Manifest:
    lines = text.decode("utf-8").split("\n")
    if lines[-1] != "":
        raise ValueError("does not end with a newline")
    lines = lines[:-1]
    if len(lines) < 3 or lines[0] != BUNDLE_FORMAT:
        raise ValueError(f"does not start with {BUNDLE_FORMAT!r}, 'origin …' and 'range …' lines")
    if not lines[1].startswith("origin ") or not lines[1][len("origin ") :]:
        raise ValueError("second line is not 'origin <origin>'")
    origin = lines[1][len("origin ") :]
    parts = lines[2].split(" ")
    if len(parts) != 3 or parts[0] != "range":
        raise ValueError("third line is not 'range <first_index> <size>'")
    first, size = decimal(parts[1], "first index"), decimal(parts[2], "size")
    if first > size:
        raise ValueError(f"range {first} {size} runs backwards")
    files: dict[str, str] = {}
    paths: list[str] = []
    for number, line in enumerate(lines[3:], start=4):
        digest, sep, rel = line.partition(" ")
        if not sep or not _SHA256_HEX.fullmatch(digest):
            raise ValueError(f"line {number} is not '<sha256 hex> <path>'")
        if not _safe_path(rel):
            raise ValueError(f"line {number}: {rel!r} is not a relative path inside the bundle")
        if rel in files:
            raise ValueError(f"line {number}: {rel} is listed twice")
        files[rel] = digest
        paths.append(rel)
    if paths != sorted(paths):
        raise ValueError("files are not listed in sorted order")
    return _Manifest(origin, first, size, files)


def _safe_path(rel: str) -> bool:
    parts = rel.split("/")
    return (
        bool(rel)
        and rel != MANIFEST
        and "\\" not in rel
        and all(part not in ("", ".", "..") for part in parts)
        and not any(c < " " for c in rel)
    )


def _parse_disclosure(line: bytes, number: int) -> tuple[int, _Disclosure]:
    if not line.endswith(b"\n"):
        raise ValueError("has no newline")
    try:
        d = json.loads(line[:-1].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"is not JSON: {e}") from e
    if not isinstance(d, dict) or set(d) != {"index", "field", "salt", "value"}:
        raise ValueError("is not an object with exactly index, field, salt and value")
    index, name, salt_text, value = d["index"], d["field"], d["salt"], d["value"]
    if type(index) is not int or index < 0:
        raise ValueError("index is not a non-negative integer")
    if not isinstance(name, str) or not isinstance(value, str) or not isinstance(salt_text, str):
        raise ValueError("field, salt and value must be strings")
    salt = b64url_nopad_decode(salt_text, "salt")
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"salt has {len(salt)} bytes, fewer than {MIN_SALT_BYTES}")
    return index, _Disclosure(number, name, salt, value)


def _hash_lines(data: bytes, what: str) -> list[bytes]:
    """One canonical base64 SHA-256 per line, each line ending in a newline (proof and frontier files)."""
    if data and not data.endswith(b"\n"):
        raise ValueError(f"{what} does not end with a newline")
    text = data.decode("ascii", errors="strict") if data.isascii() else None
    if text is None:
        raise ValueError(f"{what} is not ASCII")
    hashes = []
    for number, line in enumerate(text.split("\n")[:-1] if text else [], start=1):
        h = b64decode(line, f"{what} line {number}")
        if len(h) != rfc9162.HASH_SIZE:
            raise ValueError(f"{what} line {number} is not a SHA-256 hash")
        hashes.append(h)
    return hashes
