"""The corpus: validation names the line and field; the split keeps incidents together and never moves an item."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from suara_routing.corpus import CorpusError, make_pairs, read_corpus, split_of, update_splits

GOOD = {
    "id": "wx-0001",
    "text": "Jalan rusak",
    "category": "jalan_rusak",
    "opd": "DPUPR",
    "emergency": False,
    "outside_authority": None,
    "kelurahan": None,
    "channel": "sms",
    "register": "informal",
    "incident": None,
    "provenance": "written",
}


def write(tmp_path, *records) -> None:
    (tmp_path / "written-x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "jalan"}, "written-x.jsonl:1: category: unknown 'jalan'"),
        ({"outside_authority": "PDAM_TIRTA_DHAHA", "opd": "PDAM_TIRTA_DHAHA"}, "not an agency outside"),
        ({"outside_authority": "PLN"}, "opd must equal outside_authority"),
        ({"kelurahan": "Atlantis"}, "kelurahan: unknown 'Atlantis'"),
    ],
)
def test_a_wrong_line_is_refused_naming_file_line_and_field(tmp_path, catalogue, change, message) -> None:
    write(tmp_path, {**GOOD, **change})

    with pytest.raises(CorpusError, match=message):
        read_corpus(tmp_path, catalogue)


def test_reports_of_one_incident_share_a_split_and_the_split_file_is_never_rewritten(tmp_path, catalogue) -> None:
    records = [{**GOOD, "id": f"wx-{n:04d}", "incident": "x-inc-1" if n < 4 else None} for n in range(40)]
    write(tmp_path, *records)
    items = read_corpus(tmp_path, catalogue)
    splits = update_splits(items, tmp_path / "splits.tsv")

    assert len({splits[f"wx-{n:04d}"] for n in range(4)}) == 1
    assert {splits[i.id] for i in items} <= {"train", "dev", "test"}
    (tmp_path / "splits.tsv").write_text("wx-0010\ttest\n", encoding="utf-8")  # an earlier assignment
    assert update_splits(items, tmp_path / "splits.tsv")["wx-0010"] == "test"


def test_pairs_are_seeded_and_label_same_incident_reports_as_duplicates(catalogue, tiny_items) -> None:
    items = tiny_items
    items[0] = items[0].__class__(**{**items[0].__dict__, "incident": "i1"})
    items[1] = items[1].__class__(**{**items[1].__dict__, "incident": "i1"})
    splits = {i.id: split_of(i) for i in items}
    splits[items[1].id] = splits[items[0].id]

    pairs = make_pairs(items, splits, catalogue)

    assert pairs == make_pairs(items, splits, catalogue)
    assert [(p.a, p.b) for p in pairs if p.duplicate] == [(items[0].id, items[1].id)]


def pair_group_records() -> list[dict[str, object]]:
    """Two incidents of one pair group (same kelurahan and category), two reports each."""
    base = {**GOOD, "kelurahan": "Bangsal", "pair_group": "x-pg-1"}
    return [
        {**base, "id": "wx-0001", "text": "Jalan berlubang depan SDN Bangsal 2", "incident": "x-inc-1"},
        {**base, "id": "wx-0002", "text": "lubang jln dpn sekolah bangsal", "incident": "x-inc-1"},
        {**base, "id": "wx-0003", "text": "Aspal ambles di Gg. Melati Bangsal", "incident": "x-inc-2"},
        {**base, "id": "wx-0004", "text": "gang melati bangsal aspale ambles", "incident": "x-inc-2"},
    ]


def test_a_pair_group_gives_its_incidents_as_duplicates_and_its_siblings_as_labelled_negatives(
    tmp_path, catalogue
) -> None:
    write(tmp_path, *pair_group_records())
    items = read_corpus(tmp_path, catalogue)
    splits = update_splits(items, tmp_path / "splits.tsv")

    pairs = make_pairs(items, splits, catalogue)

    assert len(set(splits.values())) == 1  # the whole group in one split
    labelled = {(p.a, p.b): (p.duplicate, p.kind) for p in pairs if p.kind != "random_negative"}
    assert labelled == {
        ("wx-0001", "wx-0002"): (True, "same_incident"),
        ("wx-0003", "wx-0004"): (True, "same_incident"),
        ("wx-0001", "wx-0003"): (False, "distinct_incident"),
        ("wx-0001", "wx-0004"): (False, "distinct_incident"),
        ("wx-0002", "wx-0003"): (False, "distinct_incident"),
        ("wx-0002", "wx-0004"): (False, "distinct_incident"),
    }
    assert all(p.kelurahan == "Bangsal" for p in pairs if p.kind == "distinct_incident")


def test_reports_of_one_kelurahan_and_category_that_nothing_links_are_never_hard_negatives(
    catalogue, tiny_items
) -> None:
    # One kelurahan for all, and one incident reported twice: the old rule made every other same-kelurahan,
    # same-category report a hard negative of it; now only pair groups give hard negatives.
    items = [replace(i, kelurahan="Bangsal") for i in tiny_items]
    items[0], items[1] = replace(items[0], incident="i1"), replace(items[1], incident="i1")
    splits = {i.id: "train" for i in items}

    pairs = make_pairs(items, splits, catalogue)

    assert [(p.a, p.b) for p in pairs if p.duplicate] == [(items[0].id, items[1].id)]
    assert {p.kind for p in pairs if not p.duplicate} == {"random_negative"}
    assert sum(not p.duplicate for p in pairs) <= 1  # at most as many random negatives as positives


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({2: {"kelurahan": "Pakunden"}, 3: {"kelurahan": "Pakunden"}}, "must name one kelurahan"),
        ({2: {"category": "drainase", "opd": "DPUPR"}, 3: {"category": "drainase", "opd": "DPUPR"}}, "one category"),
        ({2: {"incident": "x-inc-1"}, 3: {"incident": "x-inc-1"}}, "at least two incidents"),
        ({3: {"pair_group": "x-pg-2"}}, "more than one pair group"),
        ({0: {"incident": None}}, "pair_group: must be a non-empty string, on a report with an incident"),
    ],
)
def test_a_wrong_pair_group_is_refused_naming_it(tmp_path, catalogue, change, message) -> None:
    records = pair_group_records()
    for k, fields in change.items():
        records[k] = {**records[k], **fields}
    write(tmp_path, *records)

    with pytest.raises(CorpusError, match=message):
        read_corpus(tmp_path, catalogue)
