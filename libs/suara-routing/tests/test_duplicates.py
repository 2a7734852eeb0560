"""The near-duplicate finder: same kelurahan and category, within the category's window, similar text."""

from __future__ import annotations

from datetime import datetime, timedelta

from suara_routing.duplicates import DuplicateFinder, Report

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
