"""The near-duplicate finder: same kelurahan and category, within the category's window, similar text."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from suara_routing.duplicates import DuplicateFinder, Report, named_places

T0 = datetime(2026, 3, 2, 8, 0)


def report(complaint_id: str, text: str, hours: float = 0, kelurahan: str = "Mrican", category: str = "jalan_rusak"):
    return Report(complaint_id, text, kelurahan, category, T0 + timedelta(hours=hours))


def finder(tiny_router, method="cosine", threshold=0.5) -> DuplicateFinder:
    return DuplicateFinder(tiny_router.model.features, tiny_router.catalogue, method, threshold)


def test_the_same_pothole_reported_again_is_a_possible_duplicate(tiny_router) -> None:
    first = report("a", "jalan berlubang besar di jalan mayor bismo")
    again = report("b", "lubang besar jalan mayor bismo belum ditambal", hours=30)

    found = finder(tiny_router).find(again, [first])

    assert found is not None and found.complaint_id == "a" and 0.5 <= found.similarity <= 1.0


def test_another_kelurahan_another_category_or_outside_the_window_is_not(tiny_router) -> None:
    first = report("a", "jalan berlubang besar di jalan mayor bismo")
    f = finder(tiny_router)

    assert f.find(report("b", first.normalised_text, hours=1, kelurahan="Pojok"), [first]) is None
    assert f.find(report("c", first.normalised_text, hours=1, category="drainase"), [first]) is None
    assert f.find(report("d", first.normalised_text, hours=24 * 15), [first]) is None  # pothole window: 14 days


def test_an_emergency_window_is_hours(tiny_router) -> None:
    fire = report("a", "rumah terbakar api membesar", category="kebakaran")
    later = report("b", "rumah terbakar api membesar", hours=7, category="kebakaran")

    assert finder(tiny_router).find(later, [fire]) is None  # kebakaran window: 6 hours


def test_dissimilar_text_is_not_a_duplicate_and_rapidfuzz_works_too(tiny_router) -> None:
    first = report("a", "jalan berlubang besar di jalan mayor bismo")
    other = report("b", "aspal mengelupas di gang kenari ujung", hours=2)

    assert finder(tiny_router).find(other, [first]) is None
    assert finder(tiny_router, "token_set", 0.9).find(report("c", first.normalised_text, hours=1), [first]) is not None


def test_two_reports_naming_the_same_street_score_higher_with_the_place_bonus(tiny_router) -> None:
    a, b = "lubang di jalan mayor bismo makin lebar", "aspal jalan mayor bismo ambles"
    word = finder(tiny_router, "word")
    place = finder(tiny_router, "word_place")

    assert named_places(a) == named_places(b) == frozenset({"mayor"})
    assert place.similarity(a, b) == pytest.approx(min(1.0, word.similarity(a, b) + DuplicateFinder.PLACE_BONUS))
    assert place.similarity(a, "aspal jalan semeru ambles") == word.similarity(a, "aspal jalan semeru ambles")


def test_two_emergency_categories_in_one_kelurahan_within_hours_are_candidates(tiny_router) -> None:
    fire = report("a", "gudang terbakar", category="kebakaran")
    rescue = report("b", "orang terjebak di gudang terbakar", hours=1, category="penyelamatan")
    late = report("c", "orang terjebak di gudang terbakar", hours=7, category="penyelamatan")
    f = finder(tiny_router)

    assert f.candidate(rescue, fire)
    assert not f.candidate(late, fire)  # the shorter window (the fire's 6 hours) applies
    assert not f.candidate(report("d", "sampah", hours=1, category="sampah"), fire)


def test_an_unknown_method_is_refused(tiny_router) -> None:
    with pytest.raises(ValueError, match="unknown similarity method"):
        finder(tiny_router, "jaccard")
