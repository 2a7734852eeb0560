"""The corpus: validation names the line and field; the split keeps incidents together and never moves an item."""

from __future__ import annotations

import json

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
