"""The auditors' export: entries.jsonl (one chain entry per line) and manifest.json (counts and head hash)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from suara_audit.domain.chain import ChainEntry, RecordIndex

FORMAT = "suara-audit-export/1"
ENTRIES = "entries.jsonl"
MANIFEST = "manifest.json"
CHAIN_RULE = (
    'entry_hash(n) = SHA-256("suara-audit-v1" || 0x00 || uint64_be(n) || entry_hash(n-1) || record(n)); '
    "entry_hash(0) = 32 zero bytes"
)


class ExportUnreadable(ValueError):
    """The export folder or a line in it cannot be read; the message says which."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Manifest:
    entries: int
    head_hash: bytes
    counts_by_event_type: dict[str, int]
    exported_at: str
    source: str


def write_export(directory: Path, entries: Iterable[ChainEntry], source: str) -> Manifest:
    directory.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    head = bytes(32)
    count = 0
    digest = hashlib.sha256()
    with open(directory / ENTRIES, "wb") as out:
        for entry in entries:
            line = (json.dumps(_line(entry), ensure_ascii=False, sort_keys=True) + "\n").encode()
            out.write(line)
            digest.update(line)
            counts[entry.index.event_type] += 1
            head = entry.entry_hash
            count += 1
    manifest = Manifest(count, head, dict(sorted(counts.items())), datetime.now(UTC).isoformat(), source)
    document = {
        "format": FORMAT,
        "chain": CHAIN_RULE,
        "entries": manifest.entries,
        "first_position": 1 if count else 0,
        "last_position": count,
        "head_hash": head.hex(),
        "counts_by_event_type": manifest.counts_by_event_type,
        "entries_file": ENTRIES,
        "entries_file_sha256": digest.hexdigest(),
        "exported_at": manifest.exported_at,
        "source": source,
    }
    (directory / MANIFEST).write_text(json.dumps(document, indent=2) + "\n")
    return manifest


def _line(entry: ChainEntry) -> dict[str, Any]:
    return {
        "position": entry.position,
        "event_id": entry.index.event_id,
        "complaint_id": entry.index.complaint_id,
        "sequence": entry.index.sequence,
        "event_type": entry.index.event_type,
        "appended_at": entry.appended_at.isoformat(),
        "source": {"topic": entry.topic, "partition": entry.partition, "offset": entry.offset},
        "record": base64.b64encode(entry.record).decode(),
        "previous_hash": entry.previous_hash.hex(),
        "entry_hash": entry.entry_hash.hex(),
    }


def read_manifest(directory: Path) -> Manifest:
    try:
        document = json.loads((directory / MANIFEST).read_text())
        if document.get("format") != FORMAT:
            raise ExportUnreadable(f"{MANIFEST}: format {document.get('format')!r}, expected {FORMAT!r}")
        return Manifest(
            entries=int(document["entries"]),
            head_hash=bytes.fromhex(document["head_hash"]),
            counts_by_event_type=dict(document.get("counts_by_event_type", {})),
            exported_at=str(document.get("exported_at", "")),
            source=str(document.get("source", "")),
        )
    except FileNotFoundError:
        raise ExportUnreadable(f"{directory / MANIFEST} does not exist") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ExportUnreadable(f"{MANIFEST} is not a valid manifest: {error}") from None


def read_entries(directory: Path) -> Iterator[ChainEntry]:
    """Entries in file order. A line that cannot be parsed raises ExportUnreadable naming its position."""
    path = directory / ENTRIES
    if not path.exists():
        raise ExportUnreadable(f"{path} does not exist")
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                d = json.loads(line)
                yield ChainEntry(
                    position=int(d["position"]),
                    record=base64.b64decode(d["record"], validate=True),
                    previous_hash=bytes.fromhex(d["previous_hash"]),
                    entry_hash=bytes.fromhex(d["entry_hash"]),
                    index=RecordIndex(
                        str(d["event_id"]), str(d["complaint_id"]), int(d["sequence"]), str(d["event_type"])
                    ),
                    appended_at=datetime.fromisoformat(d["appended_at"]),
                    topic=str(d["source"]["topic"]),
                    partition=int(d["source"]["partition"]),
                    offset=int(d["source"]["offset"]),
                )
            except (ValueError, KeyError, TypeError) as error:
                raise ExportUnreadable(f"{ENTRIES} line {number} cannot be read: {error}", position=number) from None
