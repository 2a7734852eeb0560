"""`suara audit verify DIR`: 0 for an intact export, 1 with the first bad position on stderr otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from suara_audit.adapters.export_files import ENTRIES, MANIFEST
from suara_cli.main import main


def edit_record(export_dir: Path, line_number: int, edit) -> None:
    lines = (export_dir / ENTRIES).read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[line_number - 1])
    entry["record"] = edit(entry["record"])
    lines[line_number - 1] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    (export_dir / ENTRIES).write_text("\n".join(lines) + "\n", encoding="utf-8")


def other_base64_character(record: str, at: int) -> str:
    replacement = "B" if record[at] != "B" else "C"
    return record[:at] + replacement + record[at + 1 :]


def test_an_intact_export_verifies_with_exit_code_0(export_dir, audit_log, capsys) -> None:
    code = main(["audit", "verify", str(export_dir)])

    out, err = capsys.readouterr()
    assert code == 0
    assert out.strip() == f"intact: 6 entries, head hash {audit_log.head().entry_hash.hex()}"
    assert err == ""


def test_one_edited_byte_in_a_record_fails_with_its_position_on_stderr(export_dir, capsys) -> None:
    edit_record(export_dir, 4, lambda record: other_base64_character(record, 30))

    code = main(["audit", "verify", str(export_dir)])

    out, err = capsys.readouterr()
    assert code == 1
    assert "intact" not in out
    assert err.startswith("TAMPERED: first bad position 4: ")
    assert "entry_hash does not match the record" in err


def test_a_record_edited_into_invalid_base64_fails_with_its_position_on_stderr(export_dir, capsys) -> None:
    edit_record(export_dir, 2, lambda record: record[:10] + "!" + record[11:])

    code = main(["audit", "verify", str(export_dir)])

    assert code == 1
    assert capsys.readouterr().err.startswith("NOT VERIFIED at position 2: ")


def test_a_removed_line_fails_naming_its_position(export_dir, capsys) -> None:
    lines = (export_dir / ENTRIES).read_text(encoding="utf-8").splitlines()
    (export_dir / ENTRIES).write_text("\n".join(lines[:2] + lines[3:]) + "\n", encoding="utf-8")

    code = main(["audit", "verify", str(export_dir)])

    assert code == 1
    assert capsys.readouterr().err.startswith("TAMPERED: first bad position 3: ")


def test_a_cut_tail_fails_naming_the_first_missing_position(export_dir, capsys) -> None:
    lines = (export_dir / ENTRIES).read_text(encoding="utf-8").splitlines()
    (export_dir / ENTRIES).write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")

    code = main(["audit", "verify", str(export_dir)])

    assert code == 1
    assert capsys.readouterr().err.startswith("TAMPERED: first bad position 5: the manifest says 6 entries, found 4")


def test_a_folder_without_an_export_is_not_verified(tmp_path, capsys) -> None:
    code = main(["audit", "verify", str(tmp_path)])

    assert code == 1
    assert capsys.readouterr().err.startswith(f"NOT VERIFIED: {tmp_path / MANIFEST} does not exist")
