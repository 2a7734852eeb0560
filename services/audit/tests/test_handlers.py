"""The use cases on the in-memory stores: sequencing, recovery, the lease, checkpoints, proofs, receipts, export."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from audit_log_fixture import ORIGIN, Log
from events import complaints, lifecycle, received

from suara_audit.adapters.event_reader import read_event
from suara_audit.adapters.log_store import LeafTaken, LeaseLost
from suara_audit.domain.bundle import Piece
from suara_audit.handlers import (
    Checkpointer,
    CheckpointPolicy,
    InvalidRequest,
    NotFound,
    NotSequencer,
    Sequencer,
)
from suara_kit import codec
from suara_verify import bundle as verifier
from suara_verify import receipt as receipts
from suara_verify import rfc9162


@pytest.fixture
def log() -> Log:
    running = Log()
    assert running.sequencer.acquire()
    return running


def test_a_batch_becomes_consecutive_leaves_whose_root_the_head_holds(log: Log) -> None:
    batch = complaints(4)

    leaves = log.sequencer.append(batch)

    assert [leaf.index for leaf in leaves] == list(range(12))
    assert log.store.head().size == 12
    assert log.store.head().frontier.root() == rfc9162.root([leaf.hash for leaf in leaves])
    assert [json.loads(leaf.data)["source"]["offset"] for leaf in leaves] == list(range(12))


def test_redelivered_events_add_no_leaf_within_a_batch_or_across_batches(log: Log) -> None:
    batch = complaints(2)
    log.sequencer.append(batch)

    assert log.sequencer.append(batch + batch[:2]) == []
    again = log.sequencer.append(batch[:1] + received(lifecycle(), first_offset=100)[:1] * 2)

    assert [leaf.index for leaf in again] == [6]
    assert log.store.head().size == 7


def test_recorded_at_never_goes_backwards_even_when_the_clock_does(log: Log) -> None:
    log.sequencer.append(complaints(1))
    log.clock.advance(-3600)

    later = log.sequencer.append(complaints(1))

    times = [json.loads(leaf.data)["recorded_at"] for leaf in log.store.leaves(0)]
    assert times == sorted(times) and later


def test_a_crash_between_writing_leaves_and_the_head_leaves_no_gap_and_no_duplicate(log: Log) -> None:
    log.sequencer.append(complaints(2))
    batch = complaints(3)
    advance = log.store.advance
    log.store.advance = lambda owner, head: (_ for _ in ()).throw(OSError("killed"))  # type: ignore[method-assign]
    with pytest.raises(OSError):
        log.sequencer.append(batch)
    log.store.advance = advance  # type: ignore[method-assign]
    assert log.store.head().size == 6  # the head did not move; the leaves are stored

    restarted = log.instance("a")
    assert restarted.acquire()
    assert restarted.append(batch) == []  # recovered, so the redelivered batch is known

    assert restarted.head is not None and restarted.head.size == 15
    hashes = [leaf.hash for leaf in log.store.leaves(0)]
    assert len(hashes) == 15 and restarted.head.frontier.root() == rfc9162.root(hashes)


def test_a_failed_append_must_recover_before_the_next(log: Log) -> None:
    log.disclosures.put = lambda disclosures: (_ for _ in ()).throw(OSError("store down"))  # type: ignore[method-assign]
    with pytest.raises(OSError):
        log.sequencer.append(complaints(1))

    with pytest.raises(NotSequencer):
        log.sequencer.append(complaints(1))


def test_a_second_instance_waits_for_the_lease_and_takes_over_where_the_first_stopped(log: Log) -> None:
    log.sequencer.append(complaints(1))
    second = log.instance("b")

    assert second.acquire() is False
    log.clock.advance(16)
    assert second.acquire() is True
    second.append(complaints(1))

    with pytest.raises((LeaseLost, LeafTaken)):
        log.sequencer.append(complaints(1))  # the stale first instance cannot fork the tree
    assert log.store.head().size == 6
    assert [leaf.index for leaf in log.store.leaves(0)] == list(range(6))


def test_checkpoints_come_every_n_entries_or_every_t_seconds(log: Log) -> None:
    log.checkpointer = Checkpointer(
        sequencer=log.sequencer,
        checkpoints=log.checkpoints,
        signer=log.signer,
        policy=CheckpointPolicy(9, timedelta(seconds=10)),
        clock=log.clock,
    )
    log.sequencer.append(complaints(1))
    first = log.checkpointer.tick()  # nothing signed yet: due at once
    log.sequencer.append(complaints(1))
    assert log.checkpointer.tick() is None  # 3 new entries, 0 s
    log.sequencer.append(complaints(2))
    by_count = log.checkpointer.tick()  # 9 new entries
    log.sequencer.append(complaints(1))
    log.clock.advance(11)
    by_time = log.checkpointer.tick()

    assert [c.size for c in (first, by_count, by_time)] == [3, 12, 15]
    assert log.checkpointer.tick() is None
    assert [c.size for c in log.checkpoints.between(0, 100)] == [3, 12, 15]


def test_proofs_by_index_and_by_event_id_verify_against_the_signed_roots(log: Log) -> None:
    leaves = log.sequencer.append(complaints(5))
    small = log.sign_now()
    leaves += log.sequencer.append(complaints(4))
    large = log.sign_now()

    size, proof = log.queries.inclusion_proof(log.queries.index_of(leaves[3].event_id))
    rfc9162.verify_inclusion(3, size, leaves[3].hash, proof, large.root)
    size2, consistency = log.queries.consistency_proof(small.size)
    rfc9162.verify_consistency(small.size, size2, small.root, large.root, consistency)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda q: q.inclusion_proof(99), "index"),
        (lambda q: q.inclusion_proof(0, 500), "tree_size"),
        (lambda q: q.consistency_proof(50, 10), "size1"),
        (lambda q: q.index_of(""), "event_id"),
        (lambda q: q.export(1000), "since_size"),
        (lambda q: q.erase(""), "complaint_id"),
    ],
)
def test_bad_arguments_name_the_field(log: Log, call, field: str) -> None:
    log.sequencer.append(complaints(5))
    log.sign_now()

    with pytest.raises(InvalidRequest) as raised:
        call(log.queries)
    assert raised.value.field == field


def test_a_receipt_verifies_with_suara_verify_and_waits_for_a_checkpoint(log: Log) -> None:
    leaves = log.sequencer.append(complaints(3))
    with pytest.raises(NotFound, match="no checkpoint"):
        log.queries.receipt(leaves[4].event_id)
    log.sign_now()
    late = log.sequencer.append(complaints(1))

    leaf, proof = log.queries.receipt(leaves[4].event_id)

    assert leaf.data == leaves[4].data
    verified = receipts.verify(proof, leaf.data, [log.vkey], ORIGIN)
    assert (verified.index, verified.checkpoint.size) == (4, 9)
    with pytest.raises(NotFound, match="not yet covered"):
        log.queries.receipt(late[0].event_id)


def test_an_export_and_an_incremental_export_verify_with_suara_verify(log: Log, tmp_path: Path) -> None:
    for _ in range(3):
        log.sequencer.append(complaints(4))
        log.sign_now()
    first = log.export(tmp_path / "first")
    saved = (first / "checkpoints/36.checkpoint").read_bytes()
    for _ in range(2):
        log.sequencer.append(complaints(5))
        log.sign_now()

    second = log.export(tmp_path / "second", since=36)

    verdict = verifier.verify_bundle(first, [log.vkey])
    assert verdict.valid, verdict.problems
    assert (verdict.entries_verified, verdict.disclosures_verified) == (36, 60)
    incremental = verifier.verify_bundle(second, [log.vkey], trusted_checkpoint=saved)
    assert incremental.valid, incremental.problems
    assert (incremental.first_index, incremental.size, incremental.entries_verified) == (36, 66, 30)
    assert (second / "proofs/consistency-36-66.txt").exists() and (second / "frontier.txt").exists()


def test_an_edited_leaf_in_the_store_is_named_by_the_verifier(log: Log, tmp_path: Path) -> None:
    log.sequencer.append(complaints(4))
    log.sign_now()
    saved = log.export(tmp_path / "before") / "checkpoints/12.checkpoint"
    stored = log.store._leaves[5]  # the store itself is what an insider edits
    log.store._leaves[5] = type(stored)(**{**stored.__dict__, "data": stored.data.replace(b'"DPUPR"', b'"DLHKP"')})

    verdict = verifier.verify_bundle(log.export(tmp_path / "after"), [log.vkey], trusted_checkpoint=saved.read_bytes())

    assert not verdict.valid
    assert verdict.first_problem.file == "entries.jsonl"


def test_erasing_a_complaint_removes_its_disclosures_and_old_and_new_exports_still_verify(
    log: Log, tmp_path: Path
) -> None:
    events = received(lifecycle(), first_offset=500)
    log.sequencer.append(complaints(2) + events)
    log.sign_now()
    before = log.export(tmp_path / "before")
    complaint_id = json.loads(next(log.store.leaves(6)).data)["complaint_id"]

    erased = log.queries.erase(complaint_id)

    after = log.export(tmp_path / "after")
    assert erased == 5  # text, idempotency key, reason, recipient, detail
    assert complaint_id not in (after / "disclosures.jsonl").read_text()
    assert "Merbabu" in (before / "disclosures.jsonl").read_text()
    for bundle_dir in (before, after):
        verdict = verifier.verify_bundle(bundle_dir, [log.vkey])
        assert verdict.valid, verdict.problems
    assert verifier.verify_bundle(after, [log.vkey]).disclosures_verified == 10


def test_the_export_ends_with_a_signed_manifest_of_every_file(log: Log) -> None:
    log.sequencer.append(complaints(1))
    log.sign_now()

    pieces: list[Piece] = list(log.queries.export())

    assert pieces[-1].path == "manifest.note"
    assert [p.path for p in pieces[:-1]] == [
        "VERIFY.md",
        "checkpoints/3.checkpoint",
        "entries.jsonl",
        "disclosures.jsonl",
    ]
    body = pieces[-1].data.split(b"\n\n")[0].decode()
    assert body.splitlines()[:3] == ["suara-audit-bundle/v1", f"origin {ORIGIN}", "range 0 3"]


def test_disclosures_of_an_append_that_never_completed_do_not_break_later_exports(log: Log, tmp_path: Path) -> None:
    log.sequencer.append(complaints(1))
    lost = received(lifecycle(), first_offset=100, partition=1)
    other = received(lifecycle(), first_offset=200, partition=2)
    append = log.store.append
    log.store.append = lambda *args: (_ for _ in ()).throw(OSError("killed"))  # type: ignore[method-assign]
    with pytest.raises(OSError):
        log.sequencer.append(lost[::-1])  # disclosures written for indices 3..5, the leaves never
    log.store.append = append  # type: ignore[method-assign]

    restarted = log.instance("a")
    assert restarted.acquire()
    restarted.append(other + lost)  # the same indices now hold other events, with other fields
    log.checkpointer = Checkpointer(
        sequencer=restarted,
        checkpoints=log.checkpoints,
        signer=log.signer,
        policy=CheckpointPolicy(1, timedelta(seconds=1)),
        clock=log.clock,
    )
    assert log.checkpointer.tick() is not None

    verdict = verifier.verify_bundle(log.export(tmp_path / "bundle"), [log.vkey])

    assert verdict.valid, verdict.problems
    assert verdict.disclosures_verified == 3 * 5  # text, key, reason, recipient, detail of each complaint


def test_verify_md_never_sends_the_auditor_to_a_public_package_index_for_the_verifier(log: Log) -> None:
    log.sequencer.append(complaints(1))
    log.sign_now()

    text = next(p for p in log.queries.export() if p.path == "VERIFY.md").data.decode()

    # suara-verify is not published on PyPI: `pip install suara-verify` would install whatever holds that name.
    assert "pip install suara-verify" not in text
    assert "libs/suara-verify" in text and f"`{log.vkey}`" in text


def test_a_writer_that_stalled_past_its_lease_cannot_replace_the_disclosures_of_the_new_holder(
    log: Log, tmp_path: Path
) -> None:
    log.sequencer.append(complaints(1))
    holder = log.instance("b")
    log.clock.advance(16)  # "a" stalls past its lease's expiry; "b" takes over and appends leaves 3..5
    assert holder.acquire()
    holder.append(complaints(1))
    events = lifecycle()
    with pytest.raises((LeaseLost, LeafTaken)):
        log.sequencer.append(received(events, first_offset=100))  # "a" wakes: disclosures for 3..5 go before leaves
    assert holder.head is not None
    log.checkpointer.sign(holder.head, log.clock())

    bundle_dir = log.export(tmp_path / "bundle")

    verdict = verifier.verify_bundle(bundle_dir, [log.vkey])
    assert verdict.valid, verdict.problems
    assert verdict.disclosures_verified == 2 * 5
    assert "Merbabu" in (bundle_dir / "disclosures.jsonl").read_text()  # the holder's complaint, at its own index
    assert (bundle_dir / "disclosures.jsonl").read_text().count("Merbabu") == 2
    # Never exported, the stalled writer's disclosures still go with an erasure of their complaint.
    assert log.queries.erase(events[0].complaint_id) == 5


def test_an_export_made_during_a_key_rotation_verifies_with_either_key_alone(tmp_path: Path) -> None:
    rotating = Log(keys=2)
    assert rotating.sequencer.acquire()
    rotating.sequencer.append(complaints(2))
    rotating.sign_now()

    bundle_dir = rotating.export(tmp_path / "bundle")

    for pinned in rotating.vkeys:
        verdict = verifier.verify_bundle(bundle_dir, [pinned])
        assert verdict.valid, verdict.problems
    verify_md = (bundle_dir / "VERIFY.md").read_text()
    assert all(f"`{vkey}`" in verify_md for vkey in rotating.vkeys) and "key rotation" in verify_md


def _sequencer_reading(log: Log, read) -> Sequencer:
    sequencer = Sequencer(
        store=log.store, disclosures=log.disclosures, read_event=read, origin=ORIGIN, owner="a", clock=log.clock
    )
    assert sequencer.acquire()
    return sequencer


def test_an_event_whose_leaf_cannot_be_built_is_logged_by_its_hash_and_error_type_never_skipped(log: Log) -> None:
    batch = complaints(2)
    bad = batch[2]  # the first complaint's StaffNotified

    def read(data: bytes):
        facts = read_event(data)
        # A value canonical JSON cannot hold (I-JSON integers stop at 2**53), as a bug in the policy could produce;
        # its error message would quote it, and a leaf is never erased.
        return replace(facts, payload={"secret": 2**60}) if data == bad.data else facts

    sequencer = _sequencer_reading(log, read)

    leaves = sequencer.append(batch)

    assert [leaf.index for leaf in leaves] == list(range(6))
    fallback = json.loads(leaves[2].data)
    assert fallback["event_sha256"] == hashlib.sha256(bad.data).hexdigest()
    assert fallback["payload"] == {"undecodable": fallback["payload"]["undecodable"]}
    assert "build a leaf of" in fallback["payload"]["undecodable"] and "IntegerDomainError" in leaves[2].data.decode()
    assert str(2**60) not in leaves[2].data.decode() and fallback["commitments"] == {}
    assert fallback["event_id"] == codec.decode(bad.data).event_id and leaves[2].key == f"sha256:{bad.sha256}"
    assert sequencer.append(batch) == []  # a redelivery adds nothing, the fallback leaf included


def test_an_event_that_the_reader_fails_on_is_logged_by_its_hash(log: Log) -> None:
    batch = complaints(1)

    def read(data: bytes):
        if data == batch[1].data:
            raise KeyError("a bug in the reader")
        return read_event(data)

    sequencer = _sequencer_reading(log, read)

    leaves = sequencer.append(batch)

    assert len(leaves) == 3 and json.loads(leaves[1].data)["payload"]["undecodable"].startswith("could not read")
    assert json.loads(leaves[1].data)["event_sha256"] == batch[1].sha256
    assert sequencer.append(batch) == []
