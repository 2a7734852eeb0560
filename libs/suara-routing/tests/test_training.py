"""Cross-validation: seeded folds that keep an incident's reports together, and thresholds chosen on out-of-fold
decisions that miss no emergency."""

from __future__ import annotations

from dataclasses import replace

from suara_routing.training import choose_thresholds, cross_validate, fit, folds


def with_incidents(items):
    # Two reports of one fire and two of one pothole: each pair must stay in one fold.
    return [replace(i, incident="fire-1") if i.id in ("kebakaran-0", "kebakaran-1") else i for i in items]


def test_folds_are_seeded_cover_every_item_once_and_keep_incidents_together(tiny_items) -> None:
    items = with_incidents(tiny_items)
    first, second = folds(items, 4), folds(list(items), 4)

    assert first == second
    held_out = sorted(r for _, test in first for r in test)
    assert held_out == list(range(len(items)))
    ids = [i.id for i in items]
    for _, test in first:
        fold_ids = {ids[r] for r in test}
        assert ("kebakaran-0" in fold_ids) == ("kebakaran-1" in fold_ids)


def test_cross_validated_thresholds_miss_no_emergency_out_of_fold(catalogue, tiny_items) -> None:
    cv = cross_validate(tiny_items, catalogue, javanese=True, settings={"folds": 4})
    thresholds, report = choose_thresholds(cv, has_emergency_head=True)

    assert report["emergency_recall"] == 1.0
    decisions = cv.decide(thresholds)
    assert all(d.emergency for i, d in zip(tiny_items, decisions, strict=True) if i.emergency)
    assert 0.0 <= thresholds["emergency_head"] <= 1.0


def test_the_emergency_head_is_a_two_column_head_that_sums_to_one(tiny_items) -> None:
    model, _, _ = fit(tiny_items, javanese=True)  # fit checks the exported arrays against scikit-learn
    head = model.head("emergency")
    columns, values = model.features.vector("rumah terbakar api membesar")
    p = head.probabilities(columns, values)

    assert head.classes == ("emergency", "no")
    assert abs(float(p.sum()) - 1.0) < 1e-9 and p[0] > 0.5
