"""`suara submit` and `suara trace` against in-process gRPC servers on localhost."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from suara_cli.main import main
from suara_complaint.policy import load_rules
from suara_intake import bootstrap
from suara_intake.adapters.catalogue_files import load_catalogue
from suara_intake.adapters.contacts import InMemoryContactStore
from suara_intake.adapters.timeline import InMemoryTimeline
from suara_intake.domain.model import TRACKING_PATTERN
from suara_intake.entrypoints.grpc_api import ComplaintServicer, complaint_service
from suara_kit import codec
from suara_kit.grpc_server import start_server
from suara_kit.identity import AuthInterceptor, JwksFileKeys, TokenVerifier
from suara_kit.identity.dev import DevIdentityProvider
from suara_kit.journal import InMemoryJournal
from suara_kit.publishing import InMemoryEventPublisher
from suara_kit.relay import publish_on_append

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "kota-kediri"


class Intake:
    def __init__(self) -> None:
        self.publisher = InMemoryEventPublisher()
        self.contacts = InMemoryContactStore()
        self.timeline = InMemoryTimeline()
        journal = InMemoryJournal()
        self.wired = bootstrap.wire(
            catalogue=load_catalogue(DATA_DIR),
            rules=load_rules(DATA_DIR, DATA_DIR.parent / "calendar"),
            journal=journal,
            appended=publish_on_append(journal, self.publisher),
            contacts=self.contacts,
            timeline=self.timeline,
            clock=lambda: datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        )
        self.address = ""

    def project(self) -> None:
        for published in self.publisher.published:
            self.timeline.apply(codec.decode(published.value), published.value)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider.ensure(tmp_path_factory.mktemp("idp"), DATA_DIR / "demo-users.toml")


@pytest.fixture
def intake(provider: DevIdentityProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Intake]:
    """Intake behind the real AuthInterceptor; the CLI logged in as the 112 call centre's integrator."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUARA_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("SUARA_IDENTITY_DIR", str(provider.state_dir))
    verifier = TokenVerifier(JwksFileKeys(provider.jwks_file), issuer=provider.issuer, audience=provider.audience)
    fakes = Intake()
    running = start_server(
        "127.0.0.1:0",
        [complaint_service(ComplaintServicer(fakes.wired.submit, fakes.wired.trace))],
        max_workers=2,
        interceptors=[AuthInterceptor(verifier)],
    )
    fakes.address = f"127.0.0.1:{running.port}"
    assert main(["login", "integrator-112"]) == 0
    yield fakes
    running.stop(grace_seconds=0)


SUBMIT = [
    "submit",
    "--category",
    "jalan_rusak",
    "--kelurahan",
    "Mrican",
    "--key",
    "cli-test-1",
    "--text",
    "Jalan Merbabu dekat perempatan Mrican berlubang besar.",
    "--phone",
    "0812 3456 7890",
]


def test_submit_prints_the_complaint_id_and_tracking_number(intake, capsys) -> None:
    code = main(["--intake", intake.address, *SUBMIT])

    out = capsys.readouterr().out
    (event,) = [codec.decode(p.value) for p in intake.publisher.published]
    assert code == 0
    assert f"complaint_id:    {event.complaint_id}" in out
    tracking = re.search(r"tracking_number: (\S+)", out).group(1)
    assert TRACKING_PATTERN.match(tracking)
    assert tracking == event.payload.tracking_number
    assert (event.actor.id, event.payload.source_channel.value) == ("lapor-mbak-wali-112", "walk_in")
    assert intake.contacts.get(event.complaint_id).phone == "0812 3456 7890"
    assert "used before" not in out


def test_submitting_the_same_key_again_says_nothing_new_was_recorded(intake, capsys) -> None:
    main(["--intake", intake.address, *SUBMIT])

    code = main(["--intake", intake.address, *SUBMIT])

    assert code == 0
    assert "(this idempotency key was used before: nothing new was recorded)" in capsys.readouterr().out
    assert len(intake.publisher.published) == 1


def test_a_refused_submission_exits_1_with_the_status_and_field_on_stderr(intake, capsys) -> None:
    code = main(
        [
            "--intake",
            intake.address,
            "submit",
            "--category",
            "jalan_rusak",
            "--kelurahan",
            "Gurah",
            "--text",
            "Jalan desa berlubang di Gurah.",
        ]
    )

    assert code == 1
    assert capsys.readouterr().err.startswith("suara: INVALID_ARGUMENT: kelurahan: unknown kelurahan 'Gurah'")


def test_trace_prints_one_line_per_event_in_wib(intake, capsys) -> None:
    main(["--intake", intake.address, *SUBMIT])
    intake.project()
    tracking = codec.decode(intake.publisher.published[0].value).payload.tracking_number
    capsys.readouterr()

    code = main(["--intake", intake.address, "trace", tracking])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].endswith(f"tracking number {tracking}")
    assert lines[2].split()[:4] == ["1", "2026-11-20", "16:00:00", "ComplaintSubmitted"]
    assert "[jalan_rusak] Kel. Mrican via walk_in: Jalan Merbabu" in lines[2]


def test_trace_of_an_unknown_reference_exits_1_with_not_found(intake, capsys) -> None:
    code = main(["--intake", intake.address, "trace", "KDR-00000-00000"])

    assert code == 1
    assert capsys.readouterr().err.startswith("suara: NOT_FOUND: ")


def test_submit_without_a_category_leaves_it_to_the_router(intake, capsys) -> None:
    without = [arg for arg in SUBMIT if arg not in ("--category", "jalan_rusak")]

    code = main(["--intake", intake.address, *without])

    (event,) = [codec.decode(p.value) for p in intake.publisher.published]
    assert code == 0
    assert event.payload.category == ""


def test_trace_shows_the_models_reason_and_flags_under_the_routing(intake, capsys) -> None:
    from suara_kit.events import (
        Actor,
        ActorKind,
        CategorySource,
        ComplaintRouted,
        Event,
        Priority,
        RoutingSuggestion,
        derived_id,
    )

    main(["--intake", intake.address, *[a for a in SUBMIT if a not in ("--category", "jalan_rusak")]])
    submitted = codec.decode(intake.publisher.published[0].value)
    routed = Event(
        derived_id(submitted.event_id, "ComplaintRouted"),
        submitted.complaint_id,
        2,
        datetime(2026, 11, 20, 9, 0, 1, tzinfo=UTC),
        Actor(ActorKind.SERVICE, "suara-router"),
        submitted.correlation_id,
        submitted.event_id,
        "suara-router",
        ComplaintRouted(
            "DISKOMINFO",
            "Dinas Komunikasi dan Informatika",
            Priority.TINGGI,
            datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
            "R-LISTRIK-01",
            "Di luar kewenangan Pemkot Kediri.",
            routing_model_version="48c4d13efcfa",
            confidence=0.95,
            alternatives=(RoutingSuggestion("listrik", "PLN", 0.8), RoutingSuggestion("kebakaran", "DAMKAR", 0.08)),
            top_terms=("pln", "padam"),
            category="listrik",
            category_source=CategorySource.PROPOSED,
            outside_authority="PLN",
            needs_coordinator=True,
            coordinator_desk="DISKOMINFO",
            possible_duplicate_of=str(submitted.complaint_id),
            possible_duplicate_tracking_number="KDR-T86J8-KRKAG",
            duplicate_similarity=0.93,
        ),
    )
    intake.publisher.publish(routed.complaint_id, codec.encode(routed))
    intake.project()
    capsys.readouterr()

    assert main(["--intake", intake.address, "trace", submitted.complaint_id]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert "[no category]" in lines[2]
    assert "ComplaintRouted" in lines[3] and "DISKOMINFO" in lines[3]
    assert lines[4] == (
        "    model 48c4d13efcfa: listrik (proposed), confidence 0.95; top-3 listrik>PLN 0.80, kebakaran>DAMKAR 0.08;"
        " words: pln, padam"
    )
    assert lines[5] == (
        "    OUTSIDE authority PLN | on the coordinator's desk (DISKOMINFO)"
        " | possible duplicate of KDR-T86J8-KRKAG (similarity 0.93)"
    )


def test_submitting_without_logging_in_says_how_to_log_in(intake, capsys) -> None:
    main(["logout"])
    capsys.readouterr()

    code = main(["--intake", intake.address, *SUBMIT])

    assert code == 1
    assert "suara login" in capsys.readouterr().err
    assert intake.publisher.published == []
