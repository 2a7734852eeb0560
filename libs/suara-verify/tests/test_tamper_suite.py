"""The tamper suite: named mutations of an export bundle, each caught with exit 1 (or 2 for malformed input) and the
first bad index or file named; and the exports that must pass (erasure, incremental, key rotation)."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from bundlewriter import T0, Key, Log, hash_lines, receipt, sign_note, write_manifest

from suara_verify.cli import main

SIZE = 40  # checkpoints every 8 entries: 8, 16, 24, 32, 40


@pytest.fixture(scope="module")
def key() -> Key:
    return Key("kedirikota.go.id/suara/audit")


@pytest.fixture(scope="module")
def log(key: Key) -> Log:
    log = Log([key])
    for _ in range(SIZE // 8):
        log.extend(8)
        log.sign_checkpoint()
    return log


@pytest.fixture(scope="module")
def pristine(log: Log, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return log.export(tmp_path_factory.mktemp("pristine") / "bundle")


@pytest.fixture
def bundle(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "bundle"))


Verify = Callable[..., tuple[int, str]]


@pytest.fixture
def verify(capsys: pytest.CaptureFixture[str]) -> Verify:
    def run(*args: str | Path) -> tuple[int, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out + out.err

    return run


def lines(bundle: Path) -> list[bytes]:
    return (bundle / "entries.jsonl").read_bytes().splitlines(keepends=True)


def write_lines(bundle: Path, new: list[bytes]) -> None:
    (bundle / "entries.jsonl").write_bytes(b"".join(new))


def first_problem(verify: Verify, bundle: Path, *args: str | Path) -> dict[str, object]:
    code, out = verify(bundle, *args, "--json")
    verdict = json.loads(out)
    assert code == verdict["exit_code"] == 1, out
    problem = verdict["first_problem"]
    assert isinstance(problem, dict)
    return problem


# -- the pristine bundle ------------------------------------------------------------------------------------------


def test_the_pristine_bundle_verifies(verify: Verify, bundle: Path, key: Key, log: Log) -> None:
    code, out = verify(bundle, "--vkey", key.vkey)
    assert code == 0, out
    assert out.startswith("VALID: kedirikota.go.id/suara/audit, entries 0..39 (tree size 40)")
    code, out = verify(bundle, "--vkey", key.vkey, "--json")
    verdict = json.loads(out)
    assert verdict["valid"] is True
    assert verdict["checkpoints"] == [8, 16, 24, 32, 40]
    assert verdict["root"] == base64.b64encode(log.root(SIZE)).decode()
    assert verdict["entries_verified"] == SIZE
    assert verdict["disclosures_verified"] == 2 * SIZE


def test_the_pristine_bundle_verifies_against_each_of_its_own_checkpoints(
    verify: Verify, bundle: Path, key: Key
) -> None:
    for size in (8, 16, 24, 32, 40):
        saved = bundle / f"checkpoints/{size}.checkpoint"
        code, out = verify(bundle, "--vkey", key.vkey, "--trusted-checkpoint", saved)
        assert code == 0, (size, out)


# -- entries ------------------------------------------------------------------------------------------------------


def test_flip_a_byte_in_an_entry(verify: Verify, bundle: Path, key: Key) -> None:
    entries = lines(bundle)
    entries[13] = entries[13].replace(b"Mojoroto", b"Mojorotp")  # still valid, canonical JSON
    write_lines(bundle, entries)
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "entries.jsonl"
    assert problem["range"] == [8, 15], problem  # the run between the last good and the first bad checkpoint


def test_flip_a_byte_that_breaks_an_entry(verify: Verify, bundle: Path, key: Key) -> None:
    entries = lines(bundle)
    entries[13] = entries[13].replace(b'"index":13,', b'"index":13;')  # no longer JSON
    write_lines(bundle, entries)
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 13)


@pytest.mark.parametrize("how", ["key order", "whitespace", "escaped character"])
def test_reserialise_a_line(verify: Verify, bundle: Path, key: Key, how: str) -> None:
    entries = lines(bundle)
    value = json.loads(entries[5])
    if how == "key order":
        line = json.dumps(dict(reversed(value.items())), separators=(",", ":"), ensure_ascii=False)
    elif how == "whitespace":
        line = json.dumps(value, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)
    else:
        line = entries[5].decode().rstrip("\n").replace("M", "\\u004d", 1)
    entries[5] = line.encode() + b"\n"
    write_lines(bundle, entries)
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 5)
    assert "canonical" in str(problem["message"])


def test_delete_a_middle_entry(verify: Verify, bundle: Path, key: Key) -> None:
    entries = lines(bundle)
    del entries[20]
    write_lines(bundle, entries)
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 20)


def test_swap_two_entries(verify: Verify, bundle: Path, key: Key) -> None:
    entries = lines(bundle)
    entries[10], entries[11] = entries[11], entries[10]
    write_lines(bundle, entries)
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 10)


def test_duplicate_an_entry(verify: Verify, bundle: Path, key: Key) -> None:
    entries = lines(bundle)
    entries.insert(8, entries[7])
    write_lines(bundle, entries)
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 8)


def test_truncate_the_tail_with_the_manifest_left_stale(verify: Verify, bundle: Path, key: Key) -> None:
    write_lines(bundle, lines(bundle)[:30])
    for gone in ("checkpoints/32.checkpoint", "checkpoints/40.checkpoint", "proofs/consistency-24-32.txt"):
        (bundle / gone).unlink()
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 30)


def test_truncate_and_resign_with_the_same_key(
    verify: Verify, log: Log, key: Key, pristine: Path, tmp_path: Path
) -> None:
    # The operator holds the key: a log cut back to 30 entries and signed again is a valid log on its own ...
    cut = Log([key])
    for data in log.leaves[:30]:
        cut.leaves.append(data)
        cut.tree.add(data)
    cut.disclosures = {i: d for i, d in log.disclosures.items() if i < 30}
    cut.checkpoints = {s: n for s, n in log.checkpoints.items() if s <= 30}
    truncated = cut.export(tmp_path / "cut")
    code, _ = verify(truncated, "--vkey", key.vkey)
    assert code == 0
    # ... and is caught against the checkpoint the auditor saved from the earlier export.
    saved = pristine / "checkpoints/40.checkpoint"
    problem = first_problem(verify, truncated, "--vkey", key.vkey, "--trusted-checkpoint", saved)
    assert problem["file"] == str(saved)
    assert "rollback" in str(problem["message"])


def _forge(log: Log, keys: list[Key], index: int) -> Log:
    """The same history with one entry changed, every checkpoint recomputed and signed with `keys`."""
    forged = Log(keys)
    for i, data in enumerate(log.leaves):
        if i == index:
            data = data.replace(b"Mojoroto", b"Pesantren")
        forged.leaves.append(data)
        forged.tree.add(data)
        if i + 1 in log.checkpoints:
            forged.sign_checkpoint()
    forged.disclosures = dict(log.disclosures)
    return forged


def test_a_forged_entry_resigned_with_a_rogue_key(verify: Verify, log: Log, key: Key, tmp_path: Path) -> None:
    rogue = Key(key.name)  # same name, another key: its key id differs, so its signatures are unknown
    bundle = _forge(log, [rogue], 12).export(tmp_path / "forged")
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] in {"checkpoints/8.checkpoint", "manifest.note"}
    assert "not signed by any trusted key" in str(problem["message"])


def test_a_forked_checkpoint_same_size_other_root(
    verify: Verify, log: Log, key: Key, pristine: Path, tmp_path: Path
) -> None:
    fork = _forge(log, [key], 12).export(tmp_path / "fork")
    code, _ = verify(fork, "--vkey", key.vkey)
    assert code == 0  # a consistent history on its own; only a saved checkpoint shows it is another one
    saved = pristine / "checkpoints/40.checkpoint"
    problem = first_problem(verify, fork, "--vkey", key.vkey, "--trusted-checkpoint", saved)
    assert "fork" in str(problem["message"])
    saved_older = pristine / "checkpoints/16.checkpoint"
    problem = first_problem(verify, fork, "--vkey", key.vkey, "--trusted-checkpoint", saved_older)
    assert "fork" in str(problem["message"])


def test_a_forked_checkpoint_swapped_into_the_bundle(verify: Verify, bundle: Path, log: Log, key: Key) -> None:
    other_root = log.root(15)
    (bundle / "checkpoints/16.checkpoint").write_bytes(sign_note(log.checkpoint_body(16, other_root), [key]))
    write_manifest(bundle, log.origin, 0, SIZE, [key])
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "entries.jsonl" and problem["range"] == [8, 15]


def test_rollback_to_an_older_export(verify: Verify, key: Key, pristine: Path, tmp_path: Path) -> None:
    older = Log([key])
    older.extend(24)
    old = older.export(tmp_path / "older")
    saved = pristine / "checkpoints/40.checkpoint"
    problem = first_problem(verify, old, "--vkey", key.vkey, "--trusted-checkpoint", saved)
    assert "rollback" in str(problem["message"])


# -- proofs -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flipped", "truncated", "extended"])
def test_a_consistency_proof_tampered(verify: Verify, bundle: Path, key: Key, how: str) -> None:
    path = bundle / "proofs/consistency-8-16.txt"
    hashes = [base64.b64decode(x) for x in path.read_bytes().splitlines()]
    if how == "flipped":
        hashes[0] = bytes([hashes[0][0] ^ 0x80]) + hashes[0][1:]
    elif how == "truncated":
        hashes = hashes[:-1]
    else:
        hashes.append(hashes[-1])
    path.write_bytes(hash_lines(hashes))
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "proofs/consistency-8-16.txt"


@pytest.mark.parametrize("how", ["flipped", "truncated", "extended", "another record"])
def test_a_receipt_tampered_or_for_another_record(verify: Verify, log: Log, key: Key, tmp_path: Path, how: str) -> None:
    leaf = tmp_path / "leaf.json"
    leaf.write_bytes(log.leaves[21])
    proof = tmp_path / "r.tlog-proof"
    proof.write_bytes(receipt(log, 21))
    code, out = verify("receipt", proof, "--leaf", leaf, "--vkey", key.vkey)
    assert code == 0, out
    head, _, cp = receipt(log, 21).partition(b"\n\n")
    rows = head.split(b"\n")
    if how == "flipped":
        rows[2] = base64.b64encode(bytes(32))
    elif how == "truncated":
        rows = rows[:-1]
    elif how == "extended":
        rows.append(rows[-1])
    else:
        proof.write_bytes(receipt(log, 22))
    if how != "another record":
        proof.write_bytes(b"\n".join(rows) + b"\n\n" + cp)
    code, out = verify("receipt", proof, "--leaf", leaf, "--vkey", key.vkey)
    assert code == 1, out


# -- manifest and files -------------------------------------------------------------------------------------------


def test_a_file_changed_after_signing_is_a_manifest_hash_mismatch(verify: Verify, bundle: Path, key: Key) -> None:
    (bundle / "VERIFY.md").write_text("Trust us.\n")
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "VERIFY.md"
    assert "SHA-256" in str(problem["message"])


def test_an_edited_manifest_hash_breaks_its_signature(verify: Verify, bundle: Path, key: Key) -> None:
    manifest = (bundle / "manifest.note").read_bytes()
    line = next(x for x in manifest.split(b"\n") if x.endswith(b" VERIFY.md"))
    (bundle / "manifest.note").write_bytes(manifest.replace(line, b"0" * 64 + b" VERIFY.md"))
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "manifest.note"


def test_a_file_present_but_not_listed(verify: Verify, bundle: Path, key: Key) -> None:
    (bundle / "proofs/extra.txt").write_text("x\n")
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "proofs/extra.txt"


def test_a_file_listed_but_missing(verify: Verify, bundle: Path, key: Key) -> None:
    (bundle / "disclosures.jsonl").unlink()
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "disclosures.jsonl"
    assert "missing" in str(problem["message"])


def test_a_disclosure_that_does_not_match_its_commitment(verify: Verify, bundle: Path, key: Key, log: Log) -> None:
    rows = (bundle / "disclosures.jsonl").read_bytes().replace(b"#17", b"#71")
    (bundle / "disclosures.jsonl").write_bytes(rows)
    write_manifest(bundle, log.origin, 0, SIZE, [key])
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("disclosures.jsonl", 17)


# -- notes --------------------------------------------------------------------------------------------------------


def test_a_note_signed_only_by_an_unknown_key(verify: Verify, bundle: Path, key: Key, log: Log) -> None:
    stranger = Key("kedirikota.go.id/suara/audit-test")
    (bundle / "checkpoints/16.checkpoint").write_bytes(sign_note(log.checkpoint_body(16), [stranger]))
    write_manifest(bundle, log.origin, 0, SIZE, [key])
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "checkpoints/16.checkpoint"
    assert "not signed by any trusted key" in str(problem["message"])


def test_every_note_signed_by_a_key_the_auditor_does_not_pin(verify: Verify, bundle: Path) -> None:
    problem = first_problem(verify, bundle, "--vkey", Key("kedirikota.go.id/suara/audit").vkey)
    assert problem["file"] == "manifest.note"


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(lambda b: b.replace(b"\n\n", b"\n\n\n"), id="extra blank line"),
        pytest.param(lambda b: b + b"\n", id="extra blank line at the end"),
        pytest.param(lambda b: b.replace(b"kedirikota", b"kediri\xffkota", 1), id="invalid UTF-8"),
    ],
)
def test_a_checkpoint_note_mangled(
    verify: Verify, bundle: Path, key: Key, log: Log, mutation: Callable[[bytes], bytes]
) -> None:
    path = bundle / "checkpoints/16.checkpoint"
    path.write_bytes(mutation(path.read_bytes()))
    write_manifest(bundle, log.origin, 0, SIZE, [key])
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "checkpoints/16.checkpoint"


def test_a_manifest_note_with_an_extra_blank_line(verify: Verify, bundle: Path, key: Key) -> None:
    path = bundle / "manifest.note"
    path.write_bytes(path.read_bytes().replace(b"\n\n", b"\n\n\n"))
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert problem["file"] == "manifest.note"


# -- time ---------------------------------------------------------------------------------------------------------


def _log_with_time_going_back(key: Key, seconds: float) -> Log:
    log = Log([key])
    for i in range(20):
        at = T0 + timedelta(seconds=i * 10)
        if i == 17:
            at = T0 + timedelta(seconds=16 * 10 - seconds)
        log.append(recorded_at=at)
    return log


def test_timestamps_out_of_order_beyond_the_tolerance(verify: Verify, key: Key, tmp_path: Path) -> None:
    bundle = _log_with_time_going_back(key, 600).export(tmp_path / "b")
    problem = first_problem(verify, bundle, "--vkey", key.vkey)
    assert (problem["file"], problem["index"]) == ("entries.jsonl", 17)
    assert "tolerance of 300 s" in str(problem["message"])
    code, out = verify(bundle, "--vkey", key.vkey, "--tolerance", "900")
    assert code == 0, out


def test_timestamps_back_within_the_tolerance_pass(verify: Verify, key: Key, tmp_path: Path) -> None:
    bundle = _log_with_time_going_back(key, 60).export(tmp_path / "b")
    code, out = verify(bundle, "--vkey", key.vkey)
    assert code == 0, out


# -- malformed input: exit 2 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--vkey", "not-a-key"], id="bad vkey syntax"),
        pytest.param(["--vkey", "name+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"], id="vkey id mismatch"),
        pytest.param(["--trusted-checkpoint", "/nonexistent/cp"], id="unreadable trusted checkpoint"),
    ],
)
def test_malformed_input_exits_2(verify: Verify, bundle: Path, key: Key, args: list[str]) -> None:
    base = [] if args[0] == "--vkey" else ["--vkey", key.vkey]
    code, out = verify(bundle, *base, *args)
    assert code == 2, out
    assert "MALFORMED INPUT" in out


def test_a_bundle_that_is_not_a_folder_exits_2(verify: Verify, tmp_path: Path, key: Key) -> None:
    code, out = verify(tmp_path / "nothing-here", "--vkey", key.vkey)
    assert code == 2, out


def test_a_trusted_checkpoint_signed_by_another_key_exits_2(
    verify: Verify, bundle: Path, key: Key, log: Log, tmp_path: Path
) -> None:
    other = tmp_path / "cp"
    other.write_bytes(sign_note(log.checkpoint_body(16), [Key("someone.else")]))
    code, out = verify(bundle, "--vkey", key.vkey, "--trusted-checkpoint", other)
    assert code == 2, out


# -- must pass ----------------------------------------------------------------------------------------------------


def test_an_export_after_a_persons_data_was_erased(verify: Verify, key: Key, tmp_path: Path) -> None:
    log = Log([key])
    log.extend(30)
    before = log.export(tmp_path / "before")
    log.erase("C-00004")
    after = log.export(tmp_path / "after")
    assert b"C-00004" not in (after / "disclosures.jsonl").read_bytes().replace(b"complaint", b"")
    for bundle in (before, after):
        code, out = verify(bundle, "--vkey", key.vkey, "--json")
        assert code == 0, out
    assert json.loads(out)["disclosures_verified"] == 2 * 30 - 2 * 3
    code, out = verify(after, "--vkey", key.vkey, "--trusted-checkpoint", before / "checkpoints/30.checkpoint")
    assert code == 0, out


@pytest.mark.parametrize("saved_size", [24, 16])
def test_an_incremental_export_proven_consistent_with_the_previous_one(
    verify: Verify, key: Key, tmp_path: Path, saved_size: int
) -> None:
    log = Log([key])
    for _ in range(3):
        log.extend(8)
        log.sign_checkpoint()
    first = log.export(tmp_path / "first")
    saved = first / f"checkpoints/{saved_size}.checkpoint"
    log.extend(13)
    log.sign_checkpoint()
    log.extend(14)
    second = log.export(tmp_path / "second", first_index=24, since=saved_size)
    assert (second / "frontier.txt").exists()
    code, out = verify(second, "--vkey", key.vkey, "--trusted-checkpoint", saved)
    assert code == 0, out
    assert "extends your trusted checkpoint" in out

    # The frontier is bound by the signed roots: a wrong one is caught.
    (second / "frontier.txt").write_bytes(hash_lines([bytes(32), bytes(32)]))  # 24 = 16 + 8: two subtrees
    write_manifest(second, log.origin, 24, log.size, [key])
    code, out = verify(second, "--vkey", key.vkey, "--trusted-checkpoint", saved)
    assert code == 1, out
    assert "frontier.txt" in out


def test_an_incremental_export_without_its_proof_from_an_older_checkpoint_fails(
    verify: Verify, key: Key, tmp_path: Path
) -> None:
    log = Log([key])
    log.extend(16)
    log.sign_checkpoint()
    first = log.export(tmp_path / "first")
    log.extend(8)
    log.sign_checkpoint()
    log.extend(8)
    second = log.export(tmp_path / "second", first_index=24, since=None)
    saved = first / "checkpoints/16.checkpoint"
    problem = first_problem(verify, second, "--vkey", key.vkey, "--trusted-checkpoint", saved)
    assert problem["file"] == "proofs/consistency-16-32.txt"


def test_an_export_across_a_signing_key_rotation(verify: Verify, key: Key, tmp_path: Path) -> None:
    new_key = Key("kedirikota.go.id/suara/audit")
    log = Log([key])
    log.extend(8)
    log.sign_checkpoint()
    log.extend(8)
    log.sign_checkpoint([key, new_key])  # the rotation checkpoint carries both signatures
    log.keys = [new_key]
    log.extend(8)
    log.sign_checkpoint()
    bundle = log.export(tmp_path / "rotated")
    code, out = verify(bundle, "--vkey", key.vkey, "--vkey", new_key.vkey)
    assert code == 0, out
    problem = first_problem(verify, bundle, "--vkey", new_key.vkey)
    assert problem["file"] == "checkpoints/8.checkpoint"


def test_vkeys_may_come_from_a_file(verify: Verify, bundle: Path, key: Key, tmp_path: Path) -> None:
    keys = tmp_path / "log.vkeys"
    keys.write_text(f"# Suara audit log\n{Key('retired.example').vkey}\n{key.vkey}\n")
    code, out = verify(bundle, "--vkey", keys)
    assert code == 0, out


def test_the_console_script_exits_with_the_verdict(pristine: Path, key: Key, tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(*args: str | Path) -> int:
        return subprocess.run([sys.executable, "-m", "suara_verify", *map(str, args)], capture_output=True).returncode

    assert run(pristine, "--vkey", key.vkey) == 0
    broken = Path(shutil.copytree(pristine, tmp_path / "b"))
    write_lines(broken, lines(broken)[:-1])
    assert run(broken, "--vkey", key.vkey) == 1
    assert run(tmp_path / "missing", "--vkey", key.vkey) == 2


def test_a_flipped_proof_from_the_trusted_checkpoint(verify: Verify, key: Key, tmp_path: Path) -> None:
    log = Log([key])
    log.extend(16)
    log.sign_checkpoint()
    first = log.export(tmp_path / "first")
    log.extend(20)
    second = log.export(tmp_path / "second", first_index=24, since=16)
    proof = second / "proofs/consistency-16-36.txt"
    hashes = [base64.b64decode(x) for x in proof.read_bytes().splitlines()]
    hashes[-1] = bytes(32)
    proof.write_bytes(hash_lines(hashes))
    write_manifest(second, log.origin, 24, log.size, [key])
    problem = first_problem(
        verify, second, "--vkey", key.vkey, "--trusted-checkpoint", first / "checkpoints/16.checkpoint"
    )
    assert problem["file"] == "proofs/consistency-16-36.txt"
