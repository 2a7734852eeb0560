"""`suara audit export | receipt | verify | erase` against an in-process audit service behind the AuthInterceptor,
logged in as the demo auditor (erasure as the coordinator); `verify` works offline without a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from events import complaints

from suara_cli.main import main
from suara_verify.cli import main as suara_verify


@pytest.fixture(autouse=True)
def auditor(audit_address: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["login", "auditor"]) == 0
    capsys.readouterr()


def export(address: str, out: Path, *extra: str) -> int:
    return main(["--audit", address, "audit", "export", "--out", str(out), *extra])


def test_an_export_verifies_offline_with_exit_code_0(audit_address, audit_log, tmp_path, capsys) -> None:
    assert export(audit_address, tmp_path / "b") == 0
    printed = capsys.readouterr().out

    code = main(["audit", "verify", str(tmp_path / "b"), "--vkey", audit_log.vkey])

    assert printed.startswith(f"exported entries 0..5 (tree size 6) to {tmp_path / 'b'}")
    assert code == 0
    assert capsys.readouterr().out.startswith("VALID: test.example/audit, entries 0..5 (tree size 6)")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "VERIFY.md",
        "checkpoints",
        "disclosures.jsonl",
        "entries.jsonl",
        "manifest.note",
    ]


def test_one_edited_entry_fails_with_exit_code_1_naming_its_index(audit_address, audit_log, tmp_path, capsys) -> None:
    export(audit_address, tmp_path / "b")
    entries = tmp_path / "b" / "entries.jsonl"
    lines = entries.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b'"DPUPR"', b'"DLHKP"', 1)
    entries.write_bytes(b"".join(lines))
    capsys.readouterr()

    code = main(["audit", "verify", str(tmp_path / "b"), "--vkey", audit_log.vkey])

    assert code == 1
    assert capsys.readouterr().out.startswith("TAMPERED: entries.jsonl: indices 0..5")


def test_an_incremental_export_proves_it_extends_the_saved_checkpoint(
    audit_address, audit_log, tmp_path, capsys
) -> None:
    export(audit_address, tmp_path / "first")
    saved = tmp_path / "first" / "checkpoints" / "6.checkpoint"
    audit_log.sequencer.append(complaints(2))
    audit_log.sign_now()

    assert export(audit_address, tmp_path / "second", "--since-checkpoint", str(saved)) == 0
    capsys.readouterr()
    code = main(
        ["audit", "verify", str(tmp_path / "second"), "--vkey", audit_log.vkey, "--trusted-checkpoint", str(saved)]
    )

    assert code == 0
    assert "extends your trusted checkpoint of size 6" in capsys.readouterr().out
    assert len((tmp_path / "second" / "entries.jsonl").read_bytes().splitlines()) == 6


def test_a_receipt_is_printed_and_written_beside_its_leaf(audit_address, audit_log, tmp_path, capsys) -> None:
    event_id = next(audit_log.store.leaves(2)).event_id

    assert main(["--audit", audit_address, "audit", "receipt", event_id, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    proof, leaf = tmp_path / f"{event_id}.tlog-proof", tmp_path / f"{event_id}.leaf.json"
    code = suara_verify(["receipt", str(proof), "--leaf", str(leaf), "--vkey", audit_log.vkey])

    assert printed.startswith("c2sp.org/tlog-proof@v1\nindex 2\n") and proof.read_text() == printed
    assert json.loads(leaf.read_bytes())["index"] == 2
    assert code == 0


def test_erase_by_the_coordinator_reports_how_many_disclosures_went(audit_address, audit_log, capsys) -> None:
    complaint_id = next(audit_log.store.leaves(0)).complaint_id
    assert main(["login", "coordinator-diskominfo"]) == 0

    assert main(["--audit", audit_address, "audit", "erase", complaint_id]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"erased 5 disclosures of complaint {complaint_id}")


def test_an_auditor_may_not_erase_and_is_told_why(audit_address, audit_log, capsys) -> None:
    complaint_id = next(audit_log.store.leaves(0)).complaint_id

    assert main(["--audit", audit_address, "audit", "erase", complaint_id]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "suara: PERMISSION_DENIED: erasing a complaint's disclosures needs role coordinator; you are auditor"
    )
    assert "logged in as auditor" in err
    assert len(list(audit_log.disclosures.between(0, 3))) == 5


@pytest.mark.parametrize(
    "command", [["export", "--out", "{out}"], ["receipt", "e-1"], ["erase", "c-1"]], ids=["export", "receipt", "erase"]
)
def test_not_logged_in_says_how_to_log_in_and_writes_nothing(audit_address, tmp_path, capsys, command) -> None:
    assert main(["logout"]) == 0
    capsys.readouterr()

    assert main(["--audit", audit_address, "audit", *(c.format(out=tmp_path / "b") for c in command)]) == 1
    assert capsys.readouterr().err.startswith("suara: not logged in: run `suara login USERNAME`")
    assert not (tmp_path / "b").exists()


def test_staff_may_not_export(audit_address, tmp_path, capsys) -> None:
    assert main(["login", "officer-dpupr"]) == 0

    assert export(audit_address, tmp_path / "b") == 1
    assert "PERMISSION_DENIED: exporting the audit log needs role auditor or coordinator; you are officer of DPUPR" in (
        capsys.readouterr().err
    )


def test_verify_needs_no_token(audit_address, audit_log, tmp_path, capsys) -> None:
    export(audit_address, tmp_path / "b")
    assert main(["logout"]) == 0
    capsys.readouterr()

    assert main(["audit", "verify", str(tmp_path / "b"), "--vkey", audit_log.vkey]) == 0
    assert capsys.readouterr().out.startswith("VALID:")


def test_an_export_into_a_folder_with_files_is_refused(audit_address, tmp_path, capsys) -> None:
    (tmp_path / "old.txt").write_text("x")

    assert export(audit_address, tmp_path) == 2
    assert "is not empty" in capsys.readouterr().err


def test_a_service_that_is_down_gives_exit_code_1_and_the_status(tmp_path, capsys) -> None:
    assert export("127.0.0.1:1", tmp_path / "b") == 1
    assert capsys.readouterr().err.startswith("suara: UNAVAILABLE")
