"""Golden bytes: the walking skeleton's three event types encode to exactly the bytes the hand-written codec wrote
before the registry (captured from commit fc82a43's codec.py). The topic and the audit log keep those bytes forever."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from suara_kit import codec
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
)

# The events of conftest.py as they were when the bytes were captured, copied so that the golden bytes never move.
WIB = timezone(timedelta(hours=7), "WIB")
SUBMITTED = ComplaintSubmitted(
    tracking_number="KDR-3Q7ZK-M0P4X",
    text="Jalan Merbabu dekat perempatan Mrican berlubang besar, sudah dua motor jatuh malam ini.",
    category="jalan_rusak",
    kelurahan_code="35.71.01.1008",
    kelurahan_name="Mrican",
    kecamatan_name="Mojoroto",
    source_channel=SourceChannel.WHATSAPP,
    anonymous=True,
    has_reporter_contact=True,
    idempotency_key="wa:6281234567890:0001",
)
ROUTED = ComplaintRouted(
    opd_code="DPUPR",
    opd_name="Dinas Pekerjaan Umum dan Penataan Ruang",
    priority=Priority.TINGGI,
    due_at=datetime(2026, 11, 27, 16, 0, 0, 123456, tzinfo=WIB),
    rule_id="R-JALAN-01",
    reason="Jalan kota yang berlubang ditangani DPUPR.",
)
NOTIFIED = StaffNotified(
    opd_code="DPUPR",
    channel="email",
    recipient="penghubung.dpupr@kedirikota.example",
    outcome=NotificationOutcome.FAILED,
    detail="SMTP 550: 'mailbox unavailable'",
)

GOLDEN = {
    "submitted": (
        "0a2437643463356338652d313131312d346635372d396130652d3562336139633164326537661212436f6d706c61696e7453"
        "75626d69747465641801222430616235646466322d333138392d356331312d383461612d6365303431356130313966322801"
        "320c08909880d80610e8ca80b8023a2b0802120a77612d676174657761791a1b576861747341707020676174657761792044"
        "69736b6f6d696e666f420b633072726531617431306e4a0963613035613731306e520a73756172612d74657374a201b5010a"
        "0f4b44522d3351375a4b2d4d3050345812574a616c616e204d6572626162752064656b617420706572656d706174616e204d"
        "726963616e206265726c7562616e672062657361722c20737564616820647561206d6f746f72206a61747568206d616c616d"
        "20696e692e1a0b6a616c616e5f727573616b220d33352e37312e30312e313030382a064d726963616e32084d6f6a6f726f74"
        "6f380240014801521577613a363238313233343536373839303a30303031"
    ),
    "routed": (
        "0a2437643463356338652d313131312d346635372d396130652d356233613963316432653766120f436f6d706c61696e7452"
        "6f757465641801222430616235646466322d333138392d356331312d383461612d6365303431356130313966322802320c08"
        "909880d80610e8ca80b8023a2b0802120a77612d676174657761791a1b57686174734170702067617465776179204469736b"
        "6f6d696e666f420b633072726531617431306e4a0963613035613731306e520a73756172612d74657374aa01770a05445055"
        "5052122744696e61732050656b65726a61616e20556d756d2064616e2050656e617461616e205275616e671802220b08908d"
        "a5d806108094ef3a2a0a522d4a414c414e2d3031322a4a616c616e206b6f74612079616e67206265726c7562616e67206469"
        "74616e67616e692044505550522e"
    ),
    "routed_by_text": (
        "0a2437643463356338652d313131312d346635372d396130652d356233613963316432653766120f436f6d706c61696e7452"
        "6f757465641801222430616235646466322d333138392d356331312d383461612d6365303431356130313966322802320c08"
        "909880d80610e8ca80b8023a2b0802120a77612d676174657761791a1b57686174734170702067617465776179204469736b"
        "6f6d696e666f420b633072726531617431306e4a0963613035613731306e520a73756172612d74657374aa01de020a054450"
        "555052122744696e61732050656b65726a61616e20556d756d2064616e2050656e617461616e205275616e671802220b0890"
        "8da5d806108094ef3a2a0a522d4a414c414e2d3031322a4a616c616e206b6f74612079616e67206265726c7562616e672064"
        "6974616e67616e692044505550522e3a0c343863346431336566636661419d8026c286a7db3f4a170a076c69737472696b12"
        "03504c4e1985eb51b81e85e33f4a160a03706a751206444953485542199a9999999999c93f52076c69737472696b52057061"
        "64616d5a076c69737472696b60026a03706a7570017a096b6562616b6172616e82010644414d4b4152820104425042448a01"
        "03504c4e9001019a010a4449534b4f4d494e464fa2012435663065316432632d336234612d343935382d383737362d363535"
        "343433333232313130aa010f4b44522d41424344452d3132333435b1011f85eb51b81eed3fba01064d726963616e"
    ),
    "notified": (
        "0a2437643463356338652d313131312d346635372d396130652d356233613963316432653766120d53746166664e6f746966"
        "6965641801222430616235646466322d333138392d356331312d383461612d6365303431356130313966322803320c089098"
        "80d80610e8ca80b8023a2b0802120a77612d676174657761791a1b57686174734170702067617465776179204469736b6f6d"
        "696e666f420b633072726531617431306e4a0963613035613731306e520a73756172612d74657374b201560a054450555052"
        "1205656d61696c1a2370656e67687562756e672e6470757072406b65646972696b6f74612e6578616d706c6520022a1f534d"
        "5450203535303a20276d61696c626f7820756e617661696c61626c6527"
    ),
}
ROUTED_BY_TEXT = replace(
    ROUTED,
    routing_model_version="48c4d13efcfa",
    confidence=0.4321,
    alternatives=(RoutingSuggestion("listrik", "PLN", 0.61), RoutingSuggestion("pju", "DISHUB", 0.2)),
    top_terms=("listrik", "padam"),
    category="listrik",
    category_source=CategorySource.PROPOSED,
    classifier_category="pju",
    emergency=True,
    emergency_kind="kebakaran",
    responders=("DAMKAR", "BPBD"),
    outside_authority="PLN",
    needs_coordinator=True,
    coordinator_desk="DISKOMINFO",
    possible_duplicate_of="5f0e1d2c-3b4a-4958-8776-655443322110",
    possible_duplicate_tracking_number="KDR-ABCDE-12345",
    duplicate_similarity=0.91,
    kelurahan_in_text="Mrican",
)
PAYLOADS: dict[str, tuple[Payload, int]] = {
    "submitted": (SUBMITTED, 1),
    "routed": (ROUTED, 2),
    "routed_by_text": (ROUTED_BY_TEXT, 2),
    "notified": (NOTIFIED, 3),
}


def golden_event(name: str) -> Event:
    payload, sequence = PAYLOADS[name]
    return Event(
        event_id="7d4c5c8e-1111-4f57-9a0e-5b3a9c1d2e7f",
        complaint_id="0ab5ddf2-3189-5c11-84aa-ce0415a019f2",
        sequence=sequence,
        occurred_at=datetime(2026, 11, 20, 9, 0, 0, 654321, tzinfo=UTC),
        actor=Actor(ActorKind.INTEGRATOR, "wa-gateway", "WhatsApp gateway Diskominfo"),
        correlation_id="c0rre1at10n",
        causation_id="ca05a710n",
        producer="suara-test",
        payload=payload,
    )


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_walking_skeletons_events_encode_to_the_same_bytes_as_before_the_registry(name: str) -> None:
    assert codec.encode(golden_event(name)).hex() == "".join(GOLDEN[name])


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_bytes_written_before_the_registry_decode_to_the_same_event(name: str) -> None:
    assert codec.decode(bytes.fromhex("".join(GOLDEN[name]))) == golden_event(name)
