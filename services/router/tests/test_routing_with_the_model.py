"""The router with the committed routing model: it refuses a missing or altered model at start, and routes the
unmistakable cases the integration test sends (texts whose outcome does not hinge on a borderline score)."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from suara_complaint import Policy, load_calendar
from suara_kit import codec
from suara_kit.complaints import ComplaintStore
from suara_kit.events import (
    Actor,
    ActorKind,
    CategorySource,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    Priority,
    SourceChannel,
)
from suara_kit.journal import InMemoryJournal, StoredEvent
from suara_router.adapters.recent_complaints import InMemoryRecentComplaints
from suara_router.adapters.text_classifier import ModelClassifier, RoutingModelUnusable, load_classifier
from suara_router.handlers import RouterDeps, route_submitted_complaint

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
POTHOLE = "Jalan Merbabu dekat perempatan Mrican berlubang besar dan dalam, aspalnya hancur, sudah dua motor jatuh."
FIRE = "Tolong!! Ada kebakaran rumah di Kelurahan Banjaran, api sudah besar dan asap hitam, kirim pemadam sekarang!"
PLN_IN_KABUPATEN = "Listrik PLN padam total sejak kemarin sore di Desa Sumberejo Kecamatan Ngasem, trafo PLN meledak."
TAX_OR_PERMIT = "Mau tanya soal tagihan pajak PBB rumah saya dan juga izin usaha toko saya, mana yang diurus dulu?"


CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")


@pytest.fixture(scope="module")
def classifier(data_dir) -> ModelClassifier:
    return load_classifier(data_dir)


@pytest.fixture
def deps(catalogue, classifier) -> RouterDeps:
    return RouterDeps(
        catalogue=catalogue,
        classifier=classifier,
        duplicates=classifier.duplicates,
        recent=InMemoryRecentComplaints(),
        complaints=ComplaintStore(InMemoryJournal(), Policy(), CALENDAR, producer="suara-router", clock=lambda: AT),
        clock=lambda: AT,
        coordinator_desk=classifier.coordinator_desk,
    )


def route(deps: RouterDeps, text: str, kelurahan: tuple[str, str], at: datetime = AT) -> tuple[str, ComplaintRouted]:
    payload = ComplaintSubmitted(
        f"KDR-{uuid.uuid4().hex[:5].upper()}-TEST0", text, "", *kelurahan, "", SourceChannel.WHATSAPP, False, False, "k"
    )
    cause = Event(
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        1,
        at,
        Actor(ActorKind.INTEGRATOR, "test"),
        "c",
        "c",
        "suara-intake",
        payload,
    )
    deps.complaints.journal.append(  # what intake recorded
        StoredEvent(cause.event_id, cause.complaint_id, 1, cause.event_type, codec.encode(cause))
    )
    outcome = route_submitted_complaint(cause, deps)
    assert outcome is not None and isinstance(outcome.recorded[0].payload, ComplaintRouted)
    return cause.complaint_id, outcome.recorded[0].payload


def test_the_committed_model_loads_with_the_version_current_json_names(data_dir, classifier) -> None:
    pointer = json.loads((data_dir / "model" / "current.json").read_text())

    assert classifier.version == pointer["version"]
    assert classifier.coordinator_desk == "DISKOMINFO"


def test_an_altered_model_stops_the_router_naming_the_file_and_the_hash(data_dir, tmp_path) -> None:
    copy = tmp_path / "catalogue"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("corpus"))
    model = copy / "model" / json.loads((copy / "model" / "current.json").read_text())["model"]
    content = bytearray(model.read_bytes())
    content[-1] ^= 0xFF
    model.write_bytes(bytes(content))

    with pytest.raises(RoutingModelUnusable) as refused:
        load_classifier(copy)

    assert model.name in str(refused.value) and "SHA-256" in str(refused.value)


def test_a_missing_model_stops_the_router_saying_how_to_make_one(data_dir, tmp_path) -> None:
    copy = tmp_path / "catalogue"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("corpus", "model"))

    with pytest.raises(RoutingModelUnusable) as refused:
        load_classifier(copy)

    assert "current.json" in str(refused.value) and "make train-routing" in str(refused.value)


def test_an_unmistakable_pothole_is_dispatched_to_dpupr(deps) -> None:
    _, routed = route(deps, POTHOLE, ("35.71.01.1008", "Mrican"))

    assert (routed.opd_code, routed.category) == ("DPUPR", "jalan_rusak")
    assert routed.category_source is CategorySource.PROPOSED
    assert not routed.needs_coordinator and not routed.emergency
    assert routed.routing_model_version == deps.classifier.version
    assert len(routed.alternatives) == 3 and routed.top_terms


def test_an_unmistakable_fire_is_darurat_with_damkar_and_bpbd(deps) -> None:
    _, routed = route(deps, FIRE, ("35.71.02.1012", "Banjaran"))

    assert (routed.emergency, routed.priority, routed.category) == (True, Priority.DARURAT, "kebakaran")
    assert routed.responders == ("DAMKAR", "BPBD")
    assert routed.due_at == AT + timedelta(minutes=60)


def test_a_pln_outage_in_kabupaten_kediri_goes_to_the_coordinator_marked_outside(deps) -> None:
    _, routed = route(deps, PLN_IN_KABUPATEN, ("35.71.02.1004", "Ngadirejo"))

    assert routed.outside_authority in ("PLN", "KABUPATEN_KEDIRI")
    assert (routed.opd_code, routed.needs_coordinator) == ("DISKOMINFO", True)


def test_a_question_about_tax_or_permit_goes_to_the_coordinator_with_both_suggested(deps) -> None:
    _, routed = route(deps, TAX_OR_PERMIT, ("35.71.03.1002", "Pakunden"))

    assert (routed.opd_code, routed.needs_coordinator, routed.outside_authority) == ("DISKOMINFO", True, "")
    assert {"BPPKAD", "DPMPTSP"} <= {a.opd_code for a in routed.alternatives}


def test_a_near_copy_a_few_hours_later_is_a_possible_duplicate_of_the_first(deps) -> None:
    first, _ = route(deps, POTHOLE, ("35.71.01.1008", "Mrican"))
    near_copy = POTHOLE.replace("sudah dua motor jatuh", "sdh 2 motor jatuh, tolong segera")

    _, routed = route(deps, near_copy, ("35.71.01.1008", "Mrican"), at=AT + timedelta(hours=3))

    assert routed.possible_duplicate_of == first
    assert routed.duplicate_similarity >= deps.duplicates.threshold  # type: ignore[attr-defined]
    assert routed.opd_code == "DPUPR"
