"""The envelope codec: every event type survives the wire, and bad envelopes are refused naming the field."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from suara.v1 import events_pb2 as pb
from suara_kit import codec
from suara_kit.codec import UndecodableEvent
from suara_kit.events import ComplaintRouted, ComplaintSubmitted, Event, Payload, SourceChannel, derived_id


def envelope_of(event: Event) -> pb.EventEnvelope:
    envelope = pb.EventEnvelope()
    envelope.ParseFromString(codec.encode(event))
    return envelope


def test_every_event_type_round_trips_with_all_fields(event_factory, payload: Payload) -> None:
    event = event_factory(payload, sequence=7)

    decoded = codec.decode(codec.encode(event))

    assert decoded == event
    assert decoded.event_type == type(payload).__name__
    assert decoded.schema_version == codec.CURRENT_SCHEMA_VERSION


def test_decoded_timestamps_are_timezone_aware_utc_with_microseconds(event_factory, routed_payload) -> None:
    event = event_factory(routed_payload, sequence=2)

    decoded = codec.decode(codec.encode(event))

    assert decoded.occurred_at.tzinfo is not None
    assert decoded.occurred_at.utcoffset().total_seconds() == 0
    assert decoded.occurred_at == datetime(2026, 11, 20, 9, 0, 0, 654321, tzinfo=UTC)
    assert isinstance(decoded.payload, ComplaintRouted)
    assert decoded.payload.due_at.utcoffset().total_seconds() == 0
    assert decoded.payload.due_at == datetime(2026, 11, 27, 9, 0, 0, 123456, tzinfo=UTC)


def test_every_source_channel_round_trips(event_factory) -> None:
    for channel in SourceChannel:
        event = event_factory()
        event = replace(event, payload=replace(event.payload, source_channel=channel))

        assert codec.decode(codec.encode(event)).payload.source_channel is channel


def test_uppercase_ids_are_decoded_in_canonical_lowercase_form(event_factory) -> None:
    event = event_factory()
    envelope = envelope_of(event)
    envelope.event_id = event.event_id.upper()
    envelope.complaint_id = event.complaint_id.upper()

    decoded = codec.decode(envelope.SerializeToString())

    assert decoded.event_id == event.event_id
    assert decoded.complaint_id == event.complaint_id


def test_encoding_a_naive_timestamp_is_refused(event_factory) -> None:
    event = event_factory(occurred_at=datetime(2026, 11, 20, 9, 0))  # no tzinfo

    with pytest.raises(ValueError, match="timezone-aware"):
        codec.encode(event)


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff\xff", b"\x0a\xff", b"not an event at all"])
def test_garbage_bytes_are_undecodable(garbage: bytes) -> None:
    with pytest.raises(UndecodableEvent, match="not a protobuf EventEnvelope"):
        codec.decode(garbage)


def test_an_envelope_without_payload_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.ClearField("complaint_submitted")

    with pytest.raises(UndecodableEvent, match=r"^payload: not set"):
        codec.decode(envelope.SerializeToString())


def test_an_event_type_that_does_not_match_the_payload_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.event_type = "ComplaintRouted"

    with pytest.raises(UndecodableEvent, match=r"^event_type: 'ComplaintRouted' does not match payload Complaint"):
        codec.decode(envelope.SerializeToString())


def test_a_non_uuid_event_id_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.event_id = "evt-42"

    with pytest.raises(UndecodableEvent, match=r"^event_id: 'evt-42' is not a UUID"):
        codec.decode(envelope.SerializeToString())


def test_a_non_uuid_complaint_id_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.complaint_id = ""

    with pytest.raises(UndecodableEvent, match=r"^complaint_id: '' is not a UUID"):
        codec.decode(envelope.SerializeToString())


def test_sequence_zero_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.sequence = 0

    with pytest.raises(UndecodableEvent, match=r"^sequence: must be 1 or more"):
        codec.decode(envelope.SerializeToString())


def test_a_missing_occurred_at_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.ClearField("occurred_at")

    with pytest.raises(UndecodableEvent, match=r"^occurred_at: not set"):
        codec.decode(envelope.SerializeToString())


def test_a_newer_schema_version_is_refused_as_too_new_for_this_code(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.schema_version = codec.CURRENT_SCHEMA_VERSION + 1

    with pytest.raises(
        codec.NewerSchemaVersion, match=r"^schema_version: 2 is newer than this service understands \(1\)"
    ) as raised:
        codec.decode(envelope.SerializeToString())
    assert (raised.value.event_type, raised.value.schema_version, raised.value.known_version) == (
        "ComplaintSubmitted",
        2,
        1,
    )


def test_an_older_schema_version_without_upcaster_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.schema_version = 0

    with pytest.raises(UndecodableEvent, match=r"^schema_version: no upcaster from version 0"):
        codec.decode(envelope.SerializeToString())


def test_an_older_schema_version_is_decoded_through_its_upcaster(event_factory, monkeypatch) -> None:
    event = event_factory()
    old = envelope_of(event)
    old.schema_version = 1
    old.producer = "suara-intake-v1"

    def upcast_v1(envelope: pb.EventEnvelope) -> pb.EventEnvelope:
        upgraded = pb.EventEnvelope()
        upgraded.CopyFrom(envelope)
        upgraded.schema_version = 2
        upgraded.producer = envelope.producer.removesuffix("-v1")
        return upgraded

    entry = codec.REGISTRY.by_name["ComplaintSubmitted"]
    monkeypatch.setitem(codec.REGISTRY.by_name, entry.name, replace(entry, schema_version=2, upcasters={1: upcast_v1}))

    decoded = codec.decode(old.SerializeToString())

    assert decoded.producer == "suara-intake"
    assert decoded.schema_version == 2
    assert decoded.payload == event.payload


def test_an_unknown_source_channel_value_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.complaint_submitted.source_channel = 99

    with pytest.raises(UndecodableEvent, match=r"^complaint_submitted.source_channel: unknown value 99"):
        codec.decode(envelope.SerializeToString())


def test_an_unspecified_actor_kind_is_undecodable(event_factory) -> None:
    envelope = envelope_of(event_factory())
    envelope.actor.kind = pb.ACTOR_KIND_UNSPECIFIED

    with pytest.raises(UndecodableEvent, match=r"^actor.kind: unknown value 0"):
        codec.decode(envelope.SerializeToString())


def test_channel_translation_is_the_same_both_ways() -> None:
    for channel in SourceChannel:
        assert codec.channel_from_proto(codec.channel_to_proto(channel)) is channel
    with pytest.raises(UndecodableEvent, match="source_channel"):
        codec.channel_from_proto(pb.SOURCE_CHANNEL_UNSPECIFIED)


def test_derived_ids_are_stable_uuids_that_differ_by_part() -> None:
    cause = str(uuid.uuid4())

    first = derived_id(cause, "ComplaintRouted")

    assert derived_id(cause, "ComplaintRouted") == first
    assert derived_id(cause, "StaffNotified") != first
    assert uuid.UUID(first).version == 5
    # Parts are joined with a separator, so moving text between parts gives another id.
    assert derived_id("ab", "c") != derived_id("a", "bc")


def test_the_payload_class_names_are_the_wire_event_types(event_factory) -> None:
    envelope = envelope_of(event_factory())

    assert envelope.event_type == "ComplaintSubmitted"
    assert envelope.WhichOneof("payload") == "complaint_submitted"
    assert isinstance(codec.decode(envelope.SerializeToString()).payload, ComplaintSubmitted)


def test_a_text_routed_complaint_round_trips_with_the_models_reason(event_factory, routed_payload) -> None:
    from suara_kit.events import CategorySource, RoutingSuggestion

    routed = replace(
        routed_payload,
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
        possible_duplicate_of=str(uuid.uuid4()),
        possible_duplicate_tracking_number="KDR-ABCDE-12345",
        duplicate_similarity=0.91,
        kelurahan_in_text="Mrican",
    )
    event = event_factory(routed, sequence=2)

    assert codec.decode(codec.encode(event)) == event


def test_a_routed_event_recorded_before_text_routing_decodes_with_empty_routing_fields(
    event_factory, routed_payload
) -> None:
    decoded = codec.decode(codec.encode(event_factory(routed_payload, sequence=2))).payload

    assert isinstance(decoded, ComplaintRouted)
    assert (decoded.routing_model_version, decoded.alternatives, decoded.needs_coordinator) == ("", (), False)
