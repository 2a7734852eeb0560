"""The router's use case with fakes (a scripted classifier, in-memory journal, publisher and store of recent
complaints): ComplaintRouted after ComplaintSubmitted, exactly once, for each way a complaint can be routed."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from suara_complaint import Actor as LifecycleActor
from suara_complaint import Policy, Role, Status, load_calendar
from suara_complaint import commands as lc_commands
from suara_complaint import events as lifecycle
from suara_kit import codec
from suara_kit.complaint_stream import lifecycle_events
from suara_kit.complaints import ComplaintStore
from suara_kit.events import (
    Actor,
    ActorKind,
    CategorySource,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    NotificationOutcome,
    Payload,
    Priority,
    RoutingSuggestion,
    SourceChannel,
    StaffNotified,
    derived_id,
)
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.recording import EventRecorder
from suara_kit.relay import publish_on_append
from suara_router.adapters.recent_complaints import InMemoryRecentComplaints
from suara_router.handlers import RouterDeps, route_submitted_complaint
from suara_routing.catalogue_files import load_routing_catalogue
from suara_routing.decision import Classification, Suggestion, UnknownCategory
from suara_routing.duplicates import DuplicateFinder

SUBMITTED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 16:00 WIB
ROUTED_AT = datetime(2026, 11, 20, 9, 0, 2, tzinfo=UTC)
POTHOLE = "Jalan Merbabu dekat perempatan Mrican berlubang besar, sudah dua motor jatuh."
MRICAN = ("35.71.01.1008", "Mrican", "Mojoroto")
BANJARAN = ("35.71.02.1012", "Banjaran", "Kota")


def classification(**changes: object) -> Classification:
    """What the classifier says by default: a pothole, confidently DPUPR."""
    base = Classification(
        category="jalan_rusak",
        category_given=False,
        model_category="jalan_rusak",
        opd="DPUPR",
        rule_id="R-JALAN-01",
        reason="Jalan kota yang berlubang ditangani DPUPR.",
        confidence=0.93,
        auto=True,
        needs_coordinator=False,
        emergency=False,
        emergency_kind=None,
        responders=(),
        outside_responder=None,
        outside_authority=None,
        kelurahan="Mrican",
        kecamatan="Mojoroto",
        kabupaten_place=None,
        alternatives=(
            Suggestion("jalan_rusak", "DPUPR", 0.93),
            Suggestion("drainase", "DPUPR", 0.04),
            Suggestion("rambu_lalu_lintas", "DISHUB", 0.01),
        ),
        top_terms=("berlubang", "jalan"),
        model_version="0123456789ab",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class ScriptedClassifier:
    """Answers what the test scripted for a text (else the default pothole) and records what it was asked."""

    version = "0123456789ab"

    def __init__(self) -> None:
        self.answers: dict[str, Classification] = {}
        self.asked: list[tuple[str, str | None, str | None]] = []
        self.known_categories: set[str] | None = None

    def classify(self, text: str, category: str | None, kelurahan: str | None) -> Classification:
        self.asked.append((text, category, kelurahan))
        if self.known_categories is not None and category is not None and category not in self.known_categories:
            raise UnknownCategory(f"unknown category {category!r}")
        answer = self.answers.get(text, classification())
        if category is not None:
            answer = replace(answer, category=category, category_given=True)
        named = "Mrican" if "mrican" in text.lower() else None
        return replace(answer, normalised_text=text.lower(), kelurahan_in_text=named)


def submitted(
    text: str = POTHOLE,
    category: str = "",
    kelurahan: tuple[str, str, str] = MRICAN,
    at: datetime = SUBMITTED_AT,
    tracking_number: str = "KDR-3Q7ZK-M0P4X",
) -> Event:
    payload = ComplaintSubmitted(
        tracking_number, text, category, *kelurahan, SourceChannel.WHATSAPP, False, False, f"wa-{uuid.uuid4()}"
    )
    return event(payload, sequence=1, occurred_at=at)


def event(payload: Payload, sequence: int, occurred_at: datetime = SUBMITTED_AT, complaint_id: str = "") -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        complaint_id=complaint_id or str(uuid.uuid4()),
        sequence=sequence,
        occurred_at=occurred_at,
        actor=Actor(ActorKind.INTEGRATOR, "wa-gateway"),
        correlation_id="request-7",
        causation_id="request-7",
        producer="suara-intake",
        payload=payload,
    )


class Router:
    def __init__(self, catalogue, routing_catalogue) -> None:
        self.journal = InMemoryJournal()
        self.publisher = InMemoryEventPublisher()
        self.classifier = ScriptedClassifier()
        self.recent = InMemoryRecentComplaints()
        # The real finder with rapidfuzz's token-set similarity (the cosine method needs a trained model's vectors).
        finder = DuplicateFinder(None, routing_catalogue, "token_set", 0.9)  # type: ignore[arg-type]
        published = publish_on_append(self.journal, self.publisher)
        self.recorder = EventRecorder(self.journal, published)  # stands in for intake
        self.deps = RouterDeps(
            catalogue=catalogue,
            classifier=self.classifier,
            duplicates=finder,
            recent=self.recent,
            complaints=ComplaintStore(
                self.journal, Policy(), CALENDAR, producer="suara-router", appended=published, clock=lambda: ROUTED_AT
            ),
            clock=lambda: ROUTED_AT,
            coordinator_desk="DISKOMINFO",
        )

    def route(self, cause: Event, script: Classification | None = None) -> ComplaintRouted:
        """What intake did before (ComplaintSubmitted is sequence 1), then the router; the routed payload."""
        if script is not None:
            self.classifier.answers[cause.payload.text] = script
        self.recorder.record(cause.complaint_id, cause.event_id, lambda _: cause)
        outcome = route_submitted_complaint(cause, self.deps)
        assert outcome is not None and len(outcome.recorded) == 1
        assert isinstance(outcome.recorded[0].payload, ComplaintRouted)
        return outcome.recorded[0].payload


CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")


@pytest.fixture(scope="module")
def routing_catalogue(data_dir):
    return load_routing_catalogue(data_dir)


@pytest.fixture
def router(catalogue, routing_catalogue) -> Router:
    return Router(catalogue, routing_catalogue)


def test_a_submitted_complaint_is_recorded_as_routed_at_sequence_2(router) -> None:
    cause = submitted()
    router.route(cause)

    (routed,) = [codec.decode(p.value) for p in router.publisher.published if codec.decode(p.value).sequence == 2]
    assert routed.complaint_id == cause.complaint_id
    assert routed.event_id == derived_id(cause.event_id, "ComplaintRouted")
    assert routed.causation_id == cause.event_id
    assert routed.correlation_id == "request-7"
    assert routed.occurred_at == ROUTED_AT
    assert (routed.actor.kind, routed.producer) == (ActorKind.SERVICE, "suara-router")
    assert [e.sequence for e in router.journal.stream(cause.complaint_id)] == [1, 2]


def test_a_confident_complaint_without_category_is_dispatched_to_the_proposed_agency_with_the_models_reason(
    router,
) -> None:
    routed = router.route(submitted())

    assert router.classifier.asked == [(POTHOLE, None, "Mrican")]
    assert (routed.opd_code, routed.opd_name) == ("DPUPR", router.deps.catalogue.agencies["DPUPR"].name)
    assert (routed.rule_id, routed.reason) == ("R-JALAN-01", "Jalan kota yang berlubang ditangani DPUPR.")
    assert (routed.category, routed.category_source) == ("jalan_rusak", CategorySource.PROPOSED)
    assert routed.priority is Priority.NORMAL
    assert routed.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 5 working days from submission
    assert (routed.routing_model_version, routed.confidence) == ("0123456789ab", 0.93)
    assert routed.alternatives == (
        RoutingSuggestion("jalan_rusak", "DPUPR", 0.93),
        RoutingSuggestion("drainase", "DPUPR", 0.04),
        RoutingSuggestion("rambu_lalu_lintas", "DISHUB", 0.01),
    )
    assert routed.top_terms == ("berlubang", "jalan")
    assert routed.kelurahan_in_text == "Mrican"
    assert not (routed.emergency or routed.needs_coordinator or routed.outside_authority or routed.responders)
    assert (routed.classifier_category, routed.coordinator_desk, routed.possible_duplicate_of) == ("", "", "")


def test_a_given_category_is_used_and_the_classifiers_disagreement_recorded(router) -> None:
    text = "Saluran air di depan rumah mampet dan jalannya jadi tergenang."
    script = classification(model_category="drainase", opd="DPUPR")

    routed = router.route(submitted(text, category="jalan_rusak"), script)

    assert router.classifier.asked == [(text, "jalan_rusak", "Mrican")]
    assert (routed.category, routed.category_source) == ("jalan_rusak", CategorySource.GIVEN)
    assert routed.classifier_category == "drainase"


def test_a_given_category_the_classifier_agrees_with_records_no_disagreement(router) -> None:
    routed = router.route(submitted(category="jalan_rusak"))

    assert (routed.category_source, routed.classifier_category) == (CategorySource.GIVEN, "")


def test_an_emergency_is_darurat_within_minutes_and_names_every_responder_the_first_taking_it(router) -> None:
    text = "Tolong ada kebakaran rumah di Banjaran, api sudah besar!"
    script = classification(
        category="kebakaran",
        model_category="kebakaran",
        opd="DAMKAR",
        rule_id="R-KEBAKARAN-01",
        reason="Kebakaran ditangani Damkar.",
        emergency=True,
        emergency_kind="kebakaran",
        responders=("DAMKAR", "BPBD"),
    )

    routed = router.route(submitted(text, kelurahan=BANJARAN), script)

    assert routed.priority is Priority.DARURAT
    assert routed.due_at == SUBMITTED_AT + timedelta(minutes=60)
    assert (routed.emergency, routed.emergency_kind) == (True, "kebakaran")
    assert routed.responders == ("DAMKAR", "BPBD")
    assert routed.opd_code == "DAMKAR"
    assert routed.reason == "Kebakaran ditangani Damkar."
    assert not routed.needs_coordinator


def test_an_emergency_recognised_in_the_text_of_another_category_is_darurat_with_its_responders(router) -> None:
    script = classification(emergency=True, emergency_kind="kecelakaan", responders=("DINKES", "DISHUB"))

    routed = router.route(submitted(category="jalan_rusak"), script)

    assert (routed.priority, routed.category) == (Priority.DARURAT, "jalan_rusak")
    assert routed.responders == ("DINKES", "DISHUB")
    assert routed.opd_code == "DPUPR"  # the given category's agency keeps it; the responders are alerted too
    assert "DINKES, DISHUB dikerahkan sekaligus" in routed.reason


def test_an_emergency_an_outside_body_must_also_act_on_goes_to_the_coordinator_to_forward(router) -> None:
    script = classification(
        category="kamtibmas",
        opd="POLRES_KEDIRI_KOTA",
        emergency=True,
        emergency_kind="kamtibmas",
        responders=("SATPOLPP",),
        outside_responder="POLRES_KEDIRI_KOTA",
        outside_authority="POLRES_KEDIRI_KOTA",
        auto=False,
        needs_coordinator=True,
    )

    routed = router.route(submitted("Ada tawuran remaja bawa senjata tajam di dekat GOR."), script)

    assert (routed.opd_code, routed.responders) == ("SATPOLPP", ("SATPOLPP",))
    assert routed.outside_authority == "POLRES_KEDIRI_KOTA"
    assert (routed.needs_coordinator, routed.coordinator_desk) == (True, "DISKOMINFO")
    assert "lewat meja koordinator" in routed.reason


def test_an_outside_matter_is_marked_and_put_on_the_coordinators_desk_never_a_city_opd(router) -> None:
    script = classification(
        category="listrik",
        model_category="listrik",
        opd="PLN",
        rule_id="R-LISTRIK-01",
        reason="Di luar kewenangan Pemkot Kediri: diteruskan ke PT PLN lewat meja koordinator.",
        confidence=0.97,
        auto=False,
        needs_coordinator=True,
        outside_authority="PLN",
    )

    routed = router.route(submitted("Listrik PLN padam sejak semalam di rumah kami."), script)

    assert routed.opd_code == "DISKOMINFO"
    assert (routed.outside_authority, routed.needs_coordinator, routed.coordinator_desk) == (
        "PLN",
        True,
        "DISKOMINFO",
    )
    assert routed.reason.startswith("Di luar kewenangan Pemkot Kediri")
    assert routed.priority is Priority.TINGGI  # the listrik category's priority


def test_a_complaint_the_classifier_is_unsure_of_goes_to_the_coordinator_with_the_top_three_suggestions(
    router,
) -> None:
    script = classification(
        category="pajak_daerah",
        opd="BPPKAD",
        confidence=0.44,
        auto=False,
        needs_coordinator=True,
        alternatives=(
            Suggestion("pajak_daerah", "BPPKAD", 0.45),
            Suggestion("perizinan", "DPMPTSP", 0.43),
            Suggestion("umkm_tenaga_kerja", "DINKOP_UMTK", 0.05),
        ),
    )

    routed = router.route(submitted("Mau tanya soal PBB dan izin usaha toko saya, mana dulu?"), script)

    assert (routed.opd_code, routed.needs_coordinator, routed.coordinator_desk) == ("DISKOMINFO", True, "DISKOMINFO")
    assert routed.outside_authority == ""
    assert routed.confidence == 0.44
    assert [(a.opd_code, a.score) for a in routed.alternatives] == [
        ("BPPKAD", 0.45),
        ("DPMPTSP", 0.43),
        ("DINKOP_UMTK", 0.05),
    ]
    assert "BPPKAD 0.45, DPMPTSP 0.43, DINKOP_UMTK 0.05" in routed.reason
    assert routed.category == "pajak_daerah"  # the proposal stands as the category until the desk decides


def test_a_near_copy_of_a_recent_complaint_in_the_same_kelurahan_and_category_is_flagged_not_merged(router) -> None:
    first = submitted(POTHOLE, tracking_number="KDR-AAAAA-11111")
    router.route(first)

    copy = submitted(POTHOLE.replace("besar", "besar sekali"), at=SUBMITTED_AT + timedelta(hours=5))
    routed = router.route(copy)

    assert routed.possible_duplicate_of == first.complaint_id
    assert routed.possible_duplicate_tracking_number == "KDR-AAAAA-11111"
    assert 0.9 <= routed.duplicate_similarity <= 1.0
    assert routed.opd_code == "DPUPR"  # routed as it would be anyway
    assert not routed.needs_coordinator
    assert len(router.recent.complaints) == 2


@pytest.mark.parametrize(
    ("kelurahan", "after", "text"),
    [
        (BANJARAN, timedelta(hours=5), POTHOLE),
        (MRICAN, timedelta(days=15), POTHOLE),  # the pothole window is 14 days
        (MRICAN, timedelta(hours=5), "Lampu jalan di gang kami mati sudah seminggu, gelap sekali."),
    ],
    ids=["another-kelurahan", "after-the-window", "different-text"],
)
def test_a_complaint_is_no_duplicate_elsewhere_later_than_the_window_or_about_something_else(
    router, kelurahan, after, text
) -> None:
    router.route(submitted(POTHOLE))

    routed = router.route(submitted(text, kelurahan=kelurahan, at=SUBMITTED_AT + after))

    assert (routed.possible_duplicate_of, routed.duplicate_similarity) == ("", 0.0)


def test_a_redelivered_submitted_complaint_records_nothing_new_and_is_not_its_own_duplicate(router) -> None:
    cause = submitted()
    router.route(cause)
    first = router.journal.stream(cause.complaint_id)[-1]

    again = route_submitted_complaint(cause, router.deps)

    assert again is not None and again.recorded == ()
    assert router.journal.stream(cause.complaint_id)[-1] == first
    assert codec.decode(first.data).payload.possible_duplicate_of == ""
    assert len(router.publisher.published) == 2  # the submitted event and one routed event
    assert len(router.recent.complaints) == 1


def test_a_category_the_routers_catalogue_does_not_know_is_read_from_the_text_saying_so(router) -> None:
    router.classifier.known_categories = {"jalan_rusak"}

    routed = router.route(submitted(category="drone"))

    assert router.classifier.asked[-1] == (POTHOLE, None, "Mrican")
    assert (routed.opd_code, routed.category_source) == ("DPUPR", CategorySource.PROPOSED)
    assert "'drone' tidak dikenal katalog" in routed.reason


@pytest.mark.parametrize(
    "payload",
    [
        ComplaintRouted("DPUPR", "DPUPR", Priority.NORMAL, SUBMITTED_AT, "R-JALAN-01", "reason"),
        StaffNotified("DPUPR", "email", "a@kedirikota.example", NotificationOutcome.DELIVERED, "ok"),
    ],
    ids=["ComplaintRouted", "StaffNotified"],
)
def test_events_other_than_submitted_are_ignored(router, payload) -> None:
    other = event(payload, sequence=2)

    assert route_submitted_complaint(other, router.deps) is None
    assert router.publisher.published == []
    assert router.classifier.asked == []


NO_KELURAHAN = ("", "", "")


def test_a_report_without_a_kelurahan_meets_earlier_ones_of_the_kelurahan_its_text_names(router) -> None:
    first = submitted(POTHOLE, tracking_number="KDR-AAAAA-11111")  # the integrator gave Mrican
    router.route(first)

    copy = submitted(
        POTHOLE.replace("besar", "besar sekali"),  # names "Mrican" in its text
        kelurahan=NO_KELURAHAN,
        at=SUBMITTED_AT + timedelta(hours=2),
    )
    routed = router.route(copy)

    assert routed.possible_duplicate_of == first.complaint_id


def test_a_report_with_no_kelurahan_given_or_named_is_compared_with_nothing_and_not_remembered(router) -> None:
    router.route(submitted("Jalan berlubang besar di depan toko, motor jatuh tadi malam.", kelurahan=NO_KELURAHAN))

    routed = router.route(
        submitted(
            "Jalan berlubang besar di depan toko, motor jatuh tadi malam.",
            kelurahan=NO_KELURAHAN,
            at=SUBMITTED_AT + timedelta(hours=1),
        )
    )

    assert routed.possible_duplicate_of == ""
    assert len(router.recent.complaints) == 0


def test_a_complaint_the_coordinator_dispatched_first_is_not_routed_again(router) -> None:
    """The aggregate is the only door: the router's reading of a complaint the coordinator already sent to an OPD is
    refused (lifecycle:Route) and nothing is recorded, instead of a second dispatch the fold would have to undo."""
    cause = submitted()
    router.recorder.record(cause.complaint_id, cause.event_id, lambda _: cause)
    desk = ComplaintStore(router.journal, Policy(), CALENDAR, producer="suara-casework", clock=lambda: ROUTED_AT)
    desk.execute(
        lc_commands.Dispatch(
            complaint_id=cause.complaint_id,
            actor=LifecycleActor("siti", Role.COORDINATOR),
            idempotency_key="desk-1",
            opd="DLHKP",
            reason="bukan jalan, ini saluran",
        )
    )

    assert route_submitted_complaint(cause, router.deps) is None

    stream = [codec.decode(e.data) for e in router.journal.stream(cause.complaint_id)]
    assert [e.event_type for e in stream] == ["ComplaintSubmitted", "Lifecycle.ComplaintDispatched"]


def test_a_reading_for_the_desk_is_recorded_as_routed_and_folds_to_a_submitted_complaint_routed_to_desk(
    router,
) -> None:
    script = classification(
        category="listrik", opd="PLN", auto=False, needs_coordinator=True, outside_authority="PLN", confidence=0.97
    )
    cause = submitted("Listrik PLN padam sejak semalam di rumah kami.")

    router.route(cause, script)

    loaded = router.deps.complaints.load(cause.complaint_id)
    assert [e.event_type for e in loaded.events] == ["ComplaintSubmitted", "ComplaintRouted"]
    assert loaded.state is not None and loaded.state.status is Status.SUBMITTED and loaded.state.version == 2
    assert isinstance(lifecycle_events(loaded.events, Policy())[-1], lifecycle.RoutedToDesk)
