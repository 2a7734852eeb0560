"""The classifier wrapper: exported arrays equal scikit-learn, decisions, explanations, reproducible training."""

from __future__ import annotations

from suara_routing.model import ModelError, load_model, save_model
from suara_routing.training import fit


def test_training_the_same_corpus_twice_writes_the_same_bytes(tmp_path, tiny_items) -> None:
    first, _, _ = fit(tiny_items, javanese=True)
    second, _, _ = fit(list(tiny_items), javanese=True)

    assert save_model(first, tmp_path / "a.model") == save_model(second, tmp_path / "b.model")
    assert (tmp_path / "a.model").read_bytes() == (tmp_path / "b.model").read_bytes()


def test_a_saved_model_loads_only_with_its_hash_and_predicts_the_same(tmp_path, tiny_router) -> None:
    sha256 = save_model(tiny_router.model, tmp_path / "m.model")
    loaded = load_model(tmp_path / "m.model", sha256)
    columns, values = loaded.features.vector("sampah menumpuk di tps")
    original = tiny_router.model.features.vector("sampah menumpuk di tps")

    assert (
        loaded.head("category").probabilities(columns, values)
        == tiny_router.model.head("category").probabilities(*original)
    ).all()
    try:
        load_model(tmp_path / "m.model", "0" * 64)
    except ModelError as error:
        assert "refusing to load" in str(error)
    else:
        raise AssertionError("a wrong hash must be refused")


def test_classifies_a_pothole_to_dpupr_with_alternatives_and_the_words_that_weighed(tiny_router) -> None:
    c = tiny_router.classify("Jln Mayor Bismo berlubang besar, tlg ditambal")

    assert (c.category, c.opd, c.emergency, c.outside_authority) == ("jalan_rusak", "DPUPR", False, None)
    assert len(c.alternatives) == 3 and c.alternatives[0].category == "jalan_rusak"
    assert "berlubang" in c.top_terms
    assert c.model_version == "tiny"


def test_an_emergency_is_flagged_with_every_responder_whatever_the_given_category(tiny_router) -> None:
    c = tiny_router.classify("rumah terbakar api membesar di gang tiga", category="sampah")

    assert c.emergency and c.emergency_kind == "kebakaran"
    assert c.responders == ("DAMKAR", "BPBD")
    assert c.category == "sampah" and c.disagreement


def test_an_outside_matter_goes_to_the_coordinator_never_to_a_city_opd(tiny_router) -> None:
    c = tiny_router.classify("listrik padam sejak pagi pln belum datang")

    assert c.outside_authority == "PLN" and c.opd == "PLN"
    assert not c.auto and c.needs_coordinator


def test_a_kabupaten_place_is_outside_authority(tiny_router) -> None:
    c = tiny_router.classify("jalan berlubang dekat Simpang Lima Gumul")

    assert c.outside_authority == "KABUPATEN_KEDIRI" and c.kabupaten_place == "Simpang Lima Gumul"


def test_a_kelurahan_office_complaint_goes_to_its_kecamatan(catalogue) -> None:
    assert catalogue.route("pelayanan_kelurahan", "surat pengantar lama", "Bujel").agency_code == "KEC_MOJOROTO"
    assert catalogue.route("pelayanan_kelurahan", "surat pengantar lama", "Bangsal").agency_code == "KEC_PESANTREN"
    assert catalogue.route("pelayanan_kelurahan", "surat pengantar lama", None).agency_code == "DISKOMINFO"
