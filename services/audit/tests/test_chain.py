"""Verifying the hash chain: an intact chain passes, and every kind of tampering names the first bad position."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

from audit_log_contract import received

from suara_audit.domain.chain import GENESIS, ChainEntry, RecordIndex, link, next_entry, verify
from suara_audit.handlers import describe_record


def flip_one_byte(record: bytes, at: int) -> bytes:
    return record[:at] + bytes([record[at] ^ 0x01]) + record[at + 1 :]


def test_link_hashes_the_tag_position_previous_hash_and_record() -> None:
    expected = hashlib.sha256(b"suara-audit-v1\x00" + (7).to_bytes(8, "big") + b"\x11" * 32 + b"record").digest()

    assert link(7, b"\x11" * 32, b"record") == expected
    assert link(8, b"\x11" * 32, b"record") != expected


def test_next_entry_continues_from_the_head() -> None:
    first = next_entry(None, received(), datetime(2026, 11, 20, tzinfo=UTC))

    second = next_entry(first, received(), first.appended_at)

    assert (first.position, first.previous_hash) == (1, GENESIS)
    assert (second.position, second.previous_hash) == (2, first.entry_hash)


def test_an_intact_chain_verifies(chain) -> None:
    verdict = verify(chain, describe_record, expected_entries=5, expected_head=chain[-1].entry_hash)

    assert verdict.intact is True
    assert verdict.entries == 5
    assert verdict.head_hash == chain[-1].entry_hash
    assert verdict.first_bad_position is None
    assert verdict.problem == ""


def test_an_empty_chain_is_intact_with_the_genesis_head() -> None:
    verdict = verify([], describe_record, expected_entries=0, expected_head=GENESIS)

    assert (verdict.intact, verdict.entries, verdict.head_hash) == (True, 0, GENESIS)


def test_one_flipped_byte_in_a_record_names_its_position(chain) -> None:
    chain[2] = replace(chain[2], record=flip_one_byte(chain[2].record, 20))

    verdict = verify(chain, describe_record)

    assert verdict.intact is False
    assert verdict.first_bad_position == 3
    assert verdict.entries == 2
    assert "entry_hash does not match the record" in verdict.problem


def test_a_record_rewritten_with_every_later_hash_recomputed_is_still_caught_at_its_position(chain) -> None:
    rewritten = chain[:3]
    for original in chain[3:]:
        record = flip_one_byte(original.record, 20) if original.position == 4 else original.record
        previous = rewritten[-1].entry_hash
        rewritten.append(
            replace(
                original, record=record, previous_hash=previous, entry_hash=link(original.position, previous, record)
            )
        )

    verdict = verify(rewritten, describe_record, expected_entries=5, expected_head=chain[-1].entry_hash)

    assert verdict.intact is False
    assert verdict.first_bad_position == 4
    assert verdict.problem.startswith(("record cannot be read", "index fields"))


def test_a_removed_entry_names_the_position_where_it_is_missing(chain) -> None:
    del chain[1]

    verdict = verify(chain, describe_record, expected_entries=5)

    assert verdict.intact is False
    assert verdict.first_bad_position == 2
    assert "expected position 2 here, found position 3" in verdict.problem


def test_two_swapped_entries_name_the_first_of_them(chain) -> None:
    chain[1], chain[2] = chain[2], chain[1]

    verdict = verify(chain, describe_record)

    assert verdict.intact is False
    assert verdict.first_bad_position == 2
    assert "removed or reordered" in verdict.problem


def test_a_cut_tail_names_the_first_missing_position(chain) -> None:
    verdict = verify(chain[:3], describe_record, expected_entries=5, expected_head=chain[-1].entry_hash)

    assert verdict.intact is False
    assert verdict.first_bad_position == 4
    assert verdict.entries == 3
    assert verdict.problem == "the manifest says 5 entries, found 3"


def test_more_entries_than_the_manifest_says_names_the_first_extra_position(chain) -> None:
    verdict = verify(chain, describe_record, expected_entries=4)

    assert verdict.intact is False
    assert verdict.first_bad_position == 5


def test_a_head_that_differs_from_the_manifest_is_not_intact(chain) -> None:
    verdict = verify(chain, describe_record, expected_entries=5, expected_head=b"\x00" * 31 + b"\x01")

    assert verdict.intact is False
    assert verdict.problem == "the head hash differs from the manifest's"


def test_a_changed_previous_hash_names_its_position(chain) -> None:
    chain[3] = replace(chain[3], previous_hash=GENESIS)

    verdict = verify(chain, describe_record)

    assert verdict.first_bad_position == 4
    assert verdict.problem == "previous_hash does not match the entry_hash of the position before"


def test_index_fields_that_disagree_with_the_record_name_their_position(chain) -> None:
    chain[0] = replace(chain[0], index=RecordIndex(chain[0].index.event_id, chain[0].index.complaint_id, 9, "X"))

    verdict = verify(chain, describe_record)

    assert verdict.first_bad_position == 1
    assert verdict.problem.startswith("index fields")


def test_a_chained_record_that_is_not_an_event_is_named_as_unreadable() -> None:
    garbage = b"\xff\xff not an event"
    entry = ChainEntry(
        1,
        garbage,
        GENESIS,
        link(1, GENESIS, garbage),
        RecordIndex("e", "c", 1, "X"),
        datetime(2026, 11, 20, tzinfo=UTC),
    )

    verdict = verify([entry], describe_record)

    assert verdict.first_bad_position == 1
    assert verdict.problem.startswith("record cannot be read: not a protobuf EventEnvelope")
