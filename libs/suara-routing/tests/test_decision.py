"""The decision policy on a hand-made model whose probabilities are known: agency by probability mass, margin,
the emergency lane (never auto-dispatched to a non-responder) and outside matters."""

from __future__ import annotations

import numpy as np
import pytest

from suara_routing.decision import TextRouter
from suara_routing.features import Block, Features
from suara_routing.model import Head, ModelError, RoutingModel, load_model, save_model


def constant_head(name: str, probabilities: dict[str, float]) -> Head:
    """A softmax head that gives these probabilities whatever the text (zero weights, log-probability intercepts)."""
    classes = tuple(sorted(probabilities))
    return Head(
        name=name,
        classes=classes,
        weights=np.zeros((1, len(classes))),
        intercept=np.log(np.array([probabilities[c] for c in classes])),
        sigmoid_a=np.zeros(len(classes)),
        sigmoid_b=np.zeros(len(classes)),
        calibration="softmax",
    )


def router(
    catalogue,
    categories: dict[str, float],
    emergency: float = 0.01,
    outside: dict[str, float] | None = None,
    policy: dict[str, bool] | None = None,
    **thresholds: float,
) -> TextRouter:
    block = Block("word", 1, 1, ("jalan",), np.ones(1))
    heads = {
        "category": constant_head("category", categories),
        "outside": constant_head("outside", outside or {"none": 0.98, "PLN": 0.01, "KABUPATEN_KEDIRI": 0.01}),
        "emergency": constant_head("emergency", {"emergency": emergency, "no": 1.0 - emergency}),
    }
    chosen = {"auto": 0.5, "margin": 0.0, "emergency": 0.5, "emergency_head": 0.5, "outside": 0.5, "outside_boost": 0.5}
    metadata = {
        "javanese": True,
        "thresholds": {**chosen, **thresholds},
        "policy": {"opd_by_mass": True, **(policy or {})},
    }
    return TextRouter(RoutingModel(Features((block,)), heads, metadata), catalogue, "hand")


def test_the_agency_with_the_most_mass_wins_over_the_top_category(catalogue) -> None:
    # pju (DISHUB) is the top category, but road and drain (both DPUPR) together weigh more.
    r = router(catalogue, {"pju": 0.40, "jalan_rusak": 0.32, "drainase": 0.28})

    c = r.classify("keluhan warga")

    assert (c.opd, c.category) == ("DPUPR", "jalan_rusak")
    assert c.confidence == pytest.approx(0.60 * 0.98, abs=1e-3)
    assert c.margin == pytest.approx(0.60 - 0.40, abs=1e-3)


def test_auto_needs_both_confidence_and_a_margin_over_the_runner_up(catalogue) -> None:
    categories = {"sampah": 0.55, "jalan_rusak": 0.45}

    assert router(catalogue, categories, auto=0.5, margin=0.0).classify("keluhan").auto
    assert not router(catalogue, categories, auto=0.5, margin=0.2).classify("keluhan").auto
    assert not router(catalogue, categories, auto=0.6, margin=0.0).classify("keluhan").auto


def test_the_emergency_head_flags_an_emergency_and_routes_it_to_a_responder(catalogue) -> None:
    r = router(catalogue, {"sampah": 0.7, "kebakaran": 0.2, "jalan_rusak": 0.1}, emergency=0.6)

    c = r.classify("keluhan warga")

    assert c.emergency and c.emergency_kind == "kebakaran" and c.emergency_score == pytest.approx(0.6, abs=1e-3)
    assert c.opd in c.responders


def test_below_the_head_threshold_without_danger_words_it_is_not_an_emergency(catalogue) -> None:
    r = router(catalogue, {"sampah": 0.7, "kebakaran": 0.2, "jalan_rusak": 0.1}, emergency=0.4)

    assert not r.classify("keluhan warga").emergency


def test_an_emergency_is_never_auto_dispatched_to_an_agency_that_is_not_a_responder(catalogue) -> None:
    r = router(catalogue, {"sampah": 0.9, "kebakaran": 0.05, "jalan_rusak": 0.05})

    c = r.classify("rumah terbakar api membesar", category="sampah")  # the integrator's category is kept

    assert c.emergency and c.category == "sampah" and c.opd == "DLHKP"
    assert "DLHKP" not in c.responders
    assert not c.auto and c.needs_coordinator


def test_in_an_emergency_an_outside_word_does_not_take_the_complaint_from_the_responders(catalogue) -> None:
    r = router(catalogue, {"kebakaran": 0.8, "listrik": 0.2})

    c = r.classify("trafo pln meledak dan terbakar api membesar")

    assert c.emergency and c.outside_authority is None and c.opd == "DAMKAR"


def test_an_outside_word_outside_an_emergency_goes_to_the_coordinator(catalogue) -> None:
    c = router(catalogue, {"listrik": 0.6, "pju": 0.4}).classify("listrik padam sejak pagi")

    assert c.outside_authority == "PLN" and not c.auto


def test_a_softmax_head_survives_saving_and_an_unknown_calibration_is_refused(tmp_path, catalogue) -> None:
    model = router(catalogue, {"pju": 0.4, "sampah": 0.6}).model
    loaded = load_model(tmp_path / "m.model", save_model(model, tmp_path / "m.model"))

    assert loaded.head("category").calibration == "softmax"
    columns, values = loaded.features.vector("jalan")
    assert loaded.head("category").probabilities(columns, values) == pytest.approx([0.4, 0.6])
    with pytest.raises(ModelError, match="unknown calibration"):
        Head("x", ("a",), np.zeros((1, 1)), np.zeros(1), np.zeros(1), np.zeros(1), calibration="isotonic")


def test_the_classifier_choosing_an_emergency_category_is_not_enough_when_the_policy_says_so(catalogue) -> None:
    categories = {"kebakaran": 0.9, "sampah": 0.1}
    text = "simulasi kebakaran di balai kota besok pagi"  # "simulasi" silences the danger words

    by_category = router(catalogue, categories, emergency=0.05).classify(text)
    by_head = router(catalogue, categories, emergency=0.05, policy={"category_flags_emergency": False}).classify(text)
    given = router(catalogue, categories, emergency=0.05, policy={"category_flags_emergency": False}).classify(
        text, category="kebakaran"
    )

    assert by_category.emergency
    assert not by_head.emergency and by_head.opd == "DAMKAR"  # still the fire service's matter, not urgent
    assert given.emergency  # a category given by the integrator always counts


def test_a_possible_emergency_seen_only_by_the_model_goes_to_the_desk_without_guessing_responders(catalogue) -> None:
    r = router(catalogue, {"jalan_rusak": 0.9, "kebakaran": 0.05, "sampah": 0.05}, emergency=0.6, emergency_switch=0.9)

    c = r.classify("keluhan warga")

    assert c.emergency and c.emergency_kind is None and c.responders == ()
    assert (c.category, c.opd, c.auto) == ("jalan_rusak", "DPUPR", True)  # dispatched as usual
    assert c.needs_coordinator  # and the desk checks the possible emergency at once
