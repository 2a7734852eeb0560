"""The auditors' export: entries.jsonl and manifest.json written and read back unchanged."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from suara_audit.adapters.export_files import (
    ENTRIES,
    FORMAT,
    MANIFEST,
    ExportUnreadable,
    read_entries,
    read_manifest,
    write_export,
)


def test_an_export_reads_back_as_the_same_entries(chain, tmp_path) -> None:
    write_export(tmp_path, chain, source="grpc://127.0.0.1:15054")

    assert list(read_entries(tmp_path)) == chain


def test_the_manifest_counts_entries_and_names_the_head_hash(chain, tmp_path) -> None:
    written = write_export(tmp_path, chain, source="grpc://127.0.0.1:15054")

    document = json.loads((tmp_path / MANIFEST).read_text())
    assert document["format"] == FORMAT
    assert (document["entries"], document["first_position"], document["last_position"]) == (5, 1, 5)
    assert document["head_hash"] == chain[-1].entry_hash.hex()
    assert document["counts_by_event_type"] == {"ComplaintRouted": 5}
    assert document["entries_file_sha256"] == hashlib.sha256((tmp_path / ENTRIES).read_bytes()).hexdigest()
    assert document["source"] == "grpc://127.0.0.1:15054"
    assert read_manifest(tmp_path) == written


def test_each_line_holds_one_entry_with_its_record_in_base64(chain, tmp_path) -> None:
    write_export(tmp_path, chain, source="test")

    lines = (tmp_path / ENTRIES).read_text().splitlines()
    assert len(lines) == 5
    first = json.loads(lines[0])
    assert first["position"] == 1
    assert base64.b64decode(first["record"]) == chain[0].record
    assert first["previous_hash"] == "00" * 32
    assert first["entry_hash"] == chain[0].entry_hash.hex()
    assert first["source"] == {"topic": "suara.complaints.events.v1", "partition": 1, "offset": 10}
    assert first["appended_at"] == "2026-11-20T09:00:01.250000+00:00"


def test_an_empty_export_has_no_positions_and_the_genesis_head(tmp_path) -> None:
    manifest = write_export(tmp_path, [], source="test")

    document = json.loads((tmp_path / MANIFEST).read_text())
    assert (manifest.entries, manifest.head_hash) == (0, bytes(32))
    assert (document["first_position"], document["last_position"]) == (0, 0)
    assert list(read_entries(tmp_path)) == []


def test_a_line_that_cannot_be_read_is_named_by_its_position(chain, tmp_path) -> None:
    write_export(tmp_path, chain, source="test")
    lines = (tmp_path / ENTRIES).read_text().splitlines()
    broken = json.loads(lines[2])
    broken["record"] = "not base64!"
    lines[2] = json.dumps(broken)
    (tmp_path / ENTRIES).write_text("\n".join(lines) + "\n")

    entries = read_entries(tmp_path)
    assert [next(entries).position for _ in range(2)] == [1, 2]
    with pytest.raises(ExportUnreadable, match=f"{ENTRIES} line 3 cannot be read") as raised:
        next(entries)

    assert raised.value.position == 3


def test_a_folder_without_an_export_is_unreadable(tmp_path) -> None:
    with pytest.raises(ExportUnreadable, match="does not exist"):
        read_manifest(tmp_path)
    with pytest.raises(ExportUnreadable, match="does not exist"):
        list(read_entries(tmp_path))


def test_a_manifest_of_another_format_is_unreadable(chain, tmp_path) -> None:
    write_export(tmp_path, chain, source="test")
    document = json.loads((tmp_path / MANIFEST).read_text())
    document["format"] = "someone-elses-export/3"
    (tmp_path / MANIFEST).write_text(json.dumps(document))

    with pytest.raises(ExportUnreadable, match="format 'someone-elses-export/3', expected 'suara-audit-export/1'"):
        read_manifest(tmp_path)


def test_a_manifest_with_a_bad_head_hash_is_unreadable(chain, tmp_path) -> None:
    write_export(tmp_path, chain, source="test")
    document = json.loads((tmp_path / MANIFEST).read_text())
    document["head_hash"] = "zz"
    (tmp_path / MANIFEST).write_text(json.dumps(document))

    with pytest.raises(ExportUnreadable, match="is not a valid manifest"):
        read_manifest(tmp_path)
