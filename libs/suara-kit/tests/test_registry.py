"""The codec registry: one entry per event type, every lifecycle event survives the wire, and an envelope this code
is too old to read is refused with a distinct error naming its type and version."""

from __future__ import annotations

import dataclasses
import random
import typing
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.internal.encoder import _VarintBytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suara.v1 import events_pb2 as pb
from suara_complaint import WIB, Policy, load_calendar
from suara_complaint import events as ev
from suara_complaint.policy import Budget, BudgetUnit, ResolutionKind, working_days
from suara_complaint.simulation import simulate
from suara_complaint.testing import AUDITOR, COORDINATOR, INTEGRATOR, OTHER_INTEGRATOR, ROUTER, head, officer
from suara_kit import codec
from suara_kit.codec import REGISTRY, EventTooNew, NewerSchemaVersion, UndecodableEvent, UnknownEventType
from suara_kit.events import ActorKind, Event
from suara_kit.registry import EventCodec, Registry

CALENDAR_DIR = Path(__file__).resolve().parents[3] / "data" / "calendar"
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- the registry itself -------------------------------------------------------------------------------------------


def test_every_payload_case_of_the_envelope_has_exactly_one_entry() -> None:
    assert REGISTRY.unregistered_cases() == []
    assert len(REGISTRY.by_case) == len(pb.EventEnvelope.DESCRIPTOR.oneofs_by_name["payload"].fields) == 26


def test_every_lifecycle_event_type_has_an_entry_named_in_the_lifecycle_namespace() -> None:
    for event_type in ev.EVENT_TYPES:
        entry = REGISTRY.by_type[event_type]
        assert entry.name == f"Lifecycle.{event_type.__name__}"
        assert entry.message_type.DESCRIPTOR.full_name == f"suara.v1.Lifecycle.{event_type.__name__}"
        assert REGISTRY.by_name[entry.name] is entry


def test_the_lifecycle_and_the_walking_skeleton_keep_apart_the_names_they_share() -> None:
    assert REGISTRY.by_name["ComplaintSubmitted"].case == "complaint_submitted"
    assert REGISTRY.by_name["Lifecycle.ComplaintSubmitted"].case == "lifecycle_complaint_submitted"
    assert REGISTRY.by_name["StaffNotified"].message_type is pb.StaffNotified


def test_a_second_entry_for_one_event_type_is_refused() -> None:
    entry = REGISTRY.by_name["ComplaintRouted"]

    with pytest.raises(ValueError, match=r"ComplaintRouted \(complaint_routed\) registered twice"):
        Registry([entry, replace(entry)])


def test_an_entry_whose_message_is_not_its_cases_message_is_refused() -> None:
    entry = replace(REGISTRY.by_name["ComplaintRouted"], message_type=pb.StaffNotified)

    with pytest.raises(ValueError, match=r"carries suara\.v1\.ComplaintRouted, not suara\.v1\.StaffNotified"):
        Registry([entry])


def test_an_upcaster_from_the_current_version_is_refused() -> None:
    entry = replace(REGISTRY.by_name["ComplaintRouted"], upcasters={1: lambda e: e})

    with pytest.raises(ValueError, match="upcasters must be from versions below the current"):
        Registry([entry])


def test_an_event_type_without_entry_cannot_be_encoded(event_factory) -> None:
    @dataclasses.dataclass(frozen=True)
    class ComplaintTeleported:
        where: str

    with pytest.raises(TypeError, match="no codec registered for ComplaintTeleported"):
        codec.encode(event_factory(ComplaintTeleported("Mars")))


# --- lifecycle events on the wire ----------------------------------------------------------------------------------

ACTORS = st.sampled_from(
    [INTEGRATOR, OTHER_INTEGRATOR, COORDINATOR, ROUTER, AUDITOR, officer("DPUPR"), head("DISHUB"), officer("BPBD")]
)
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.sampled_from([UTC, WIB])
)
TEXT = st.text(max_size=60)
BUDGETS = st.builds(Budget, st.integers(1, 10_000), st.sampled_from(list(BudgetUnit)))


def _strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    if hint is str:
        return TEXT
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(0, 2**32 - 1)
    if hint is datetime:
        return MOMENTS
    if hint is Budget:
        return BUDGETS
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return st.sampled_from(list(hint))
    raise AssertionError(f"no strategy for {hint!r}: the lifecycle gained a field type the codec must learn")


def lifecycle_events(event_type: type[ev.Event]) -> st.SearchStrategy[ev.Event]:
    """Any event of `event_type`, every field drawn from its type; the envelope's ids are UUIDs, as in production."""
    hints = typing.get_type_hints(event_type)
    own = {f.name: _strategy_for(hints[f.name]) for f in dataclasses.fields(event_type) if f.name not in COMMON}
    return st.builds(
        event_type,
        event_id=st.uuids().map(str),
        complaint_id=st.uuids().map(str),
        at=MOMENTS,
        actor=ACTORS,
        command_key=TEXT,
        **own,
    )


COMMON = {f.name for f in dataclasses.fields(ev.Event)}


def carried(change: ev.Event, sequence: int = 1) -> Event:
    return codec.lifecycle_event(
        change, sequence, correlation_id="req-1", causation_id="req-1", producer="suara-casework"
    )


@SETTINGS
@given(data=st.data(), event_type=st.sampled_from(ev.EVENT_TYPES), sequence=st.integers(1, 2**40))
def test_every_lifecycle_event_type_round_trips_with_any_field_values(
    data: st.DataObject, event_type: type[ev.Event], sequence: int
) -> None:
    change = data.draw(lifecycle_events(event_type))
    event = carried(change, sequence)

    decoded = codec.decode(codec.encode(event))

    assert decoded == event
    assert decoded.payload == change
    assert decoded.event_type == f"Lifecycle.{event_type.__name__}"


@settings(max_examples=15, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_simulated_lifecycles_survive_the_wire_event_by_event(rng: random.Random) -> None:
    calendar = load_calendar(CALENDAR_DIR)
    result = simulate(4, 0, Policy(), calendar, rng=rng, chaos=0.3, max_steps=30)
    for stream in result.streams.values():
        complaint_id = str(uuid.UUID(int=rng.getrandbits(128)))  # the simulation's ids are not UUIDs
        for sequence, change in enumerate(stream, 1):
            event = carried(replace(change, complaint_id=complaint_id), sequence)

            assert codec.decode(codec.encode(event)) == event


def verified(**changes: Any) -> ev.ComplaintVerified:
    fields: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "complaint_id": str(uuid.uuid4()),
        "at": datetime(2026, 11, 30, 9, 0, tzinfo=WIB),
        "actor": COORDINATOR,
        "command_key": "verify-1",
        "kind": ResolutionKind.SENGKETA,
        "resolve_within": working_days(14),
    }
    return ev.ComplaintVerified(**(fields | changes))


def envelope_of(event: Event) -> pb.EventEnvelope:
    envelope = pb.EventEnvelope()
    envelope.ParseFromString(codec.encode(event))
    return envelope


def test_the_envelope_carries_the_lifecycle_actors_role_opd_and_command_key() -> None:
    change = verified(actor=head("DPUPR"))

    envelope = envelope_of(carried(change, 3))

    assert (envelope.actor.id, envelope.actor.role, envelope.actor.opd) == (
        "kepala-dpupr",
        pb.ACTOR_ROLE_OPD_HEAD,
        "DPUPR",
    )
    assert envelope.actor.kind == pb.ACTOR_KIND_STAFF
    assert (envelope.command_key, envelope.event_type, envelope.sequence) == (
        "verify-1",
        "Lifecycle.ComplaintVerified",
        3,
    )
    assert envelope.WhichOneof("payload") == "lifecycle_complaint_verified"
    assert envelope.lifecycle_complaint_verified.resolve_within.amount == 14


@pytest.mark.parametrize(
    ("actor", "kind"),
    [(INTEGRATOR, ActorKind.INTEGRATOR), (ROUTER, ActorKind.SERVICE), (officer("DLHKP"), ActorKind.STAFF)],
)
def test_the_envelopes_actor_kind_follows_the_role(actor, kind) -> None:
    assert carried(verified(actor=actor)).actor.kind is kind


def test_an_envelope_that_contradicts_its_lifecycle_event_is_not_encoded() -> None:
    event = replace(carried(verified()), complaint_id=str(uuid.uuid4()))

    with pytest.raises(ValueError, match="the envelope's complaint_id differ from the event's own"):
        codec.encode(event)


def test_a_lifecycle_event_without_its_budget_is_undecodable() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.lifecycle_complaint_verified.ClearField("resolve_within")

    with pytest.raises(UndecodableEvent, match=r"^lifecycle_complaint_verified.resolve_within: not set"):
        codec.decode(envelope.SerializeToString())


def test_a_zero_budget_is_undecodable_naming_the_case() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.lifecycle_complaint_verified.resolve_within.amount = 0

    with pytest.raises(UndecodableEvent, match=r"^lifecycle_complaint_verified: a deadline budget must be positive"):
        codec.decode(envelope.SerializeToString())


def test_an_unspecified_resolution_kind_is_undecodable() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.lifecycle_complaint_verified.kind = 0

    with pytest.raises(UndecodableEvent, match=r"^lifecycle_complaint_verified.kind: unknown value 0"):
        codec.decode(envelope.SerializeToString())


def test_a_lifecycle_event_without_a_role_is_undecodable() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.actor.role = pb.ACTOR_ROLE_UNSPECIFIED

    with pytest.raises(UndecodableEvent, match=r"^actor.role: unknown value 0"):
        codec.decode(envelope.SerializeToString())


def test_an_opd_officer_without_an_opd_is_undecodable() -> None:
    envelope = envelope_of(carried(verified(actor=officer("DPUPR"))))
    envelope.actor.opd = ""

    with pytest.raises(UndecodableEvent, match=r"^actor: an actor in role opd_officer needs an OPD"):
        codec.decode(envelope.SerializeToString())


# --- too new for this code -----------------------------------------------------------------------------------------


def from_a_newer_producer(event_type: str, field_number: int, schema_version: int = 1) -> bytes:
    """An envelope as a producer with a newer events.proto writes it: a payload case this code has no field for
    (protobuf keeps it as an unknown field) and an event_type this registry does not know."""
    envelope = envelope_of(carried(verified()))
    envelope.ClearField("payload")
    envelope.event_type = event_type
    envelope.schema_version = schema_version
    payload = b"\x0a\x04Mars"  # field 1, a string
    unknown_case = _VarintBytes(field_number << 3 | 2) + _VarintBytes(len(payload)) + payload
    return envelope.SerializeToString() + unknown_case


def test_an_event_type_this_code_does_not_know_raises_unknown_event_type_naming_it() -> None:
    data = from_a_newer_producer("Lifecycle.ComplaintTeleported", field_number=99, schema_version=1)

    with pytest.raises(UnknownEventType) as raised:
        codec.decode(data)

    error = raised.value
    assert (error.event_type, error.schema_version) == ("Lifecycle.ComplaintTeleported", 1)
    assert isinstance(error, EventTooNew) and isinstance(error, UndecodableEvent)
    assert str(error) == "event_type: 'Lifecycle.ComplaintTeleported' is unknown to this service (schema_version 1)"
    assert error.what == "event type 'Lifecycle.ComplaintTeleported' schema version 1"


def test_a_newer_schema_version_of_a_lifecycle_event_raises_newer_schema_version() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.schema_version = 3

    with pytest.raises(NewerSchemaVersion) as raised:
        codec.decode(envelope.SerializeToString())

    assert (raised.value.event_type, raised.value.schema_version, raised.value.known_version) == (
        "Lifecycle.ComplaintVerified",
        3,
        1,
    )
    assert raised.value.event_id == envelope.event_id


def test_an_envelope_with_neither_type_nor_payload_is_undecodable_not_too_new() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.ClearField("payload")
    envelope.event_type = ""

    with pytest.raises(UndecodableEvent, match=r"^payload: not set") as raised:
        codec.decode(envelope.SerializeToString())
    assert not isinstance(raised.value, EventTooNew)


def test_a_known_payload_under_an_unknown_name_is_undecodable_not_too_new() -> None:
    envelope = envelope_of(carried(verified()))
    envelope.event_type = "Lifecycle.ComplaintTeleported"

    with pytest.raises(
        UndecodableEvent, match=r"^event_type: 'Lifecycle.ComplaintTeleported' does not match"
    ) as raised:
        codec.decode(envelope.SerializeToString())
    assert not isinstance(raised.value, EventTooNew)


def test_an_upcaster_may_read_an_old_type_as_its_successor(monkeypatch, event_factory, routed_payload) -> None:
    """The shape docs/lifecycle/events.md foresees for ComplaintRouted -> ComplaintDispatched, with a stand-in."""
    old = envelope_of(event_factory(routed_payload, sequence=2))

    def routed_v1_as_archived(envelope: pb.EventEnvelope) -> pb.EventEnvelope:
        upgraded = pb.EventEnvelope()
        upgraded.CopyFrom(envelope)
        upgraded.event_type, upgraded.schema_version = "Lifecycle.ComplaintArchived", 1
        upgraded.actor.role = pb.ACTOR_ROLE_SYSTEM
        upgraded.lifecycle_complaint_archived.reason = envelope.complaint_routed.reason
        return upgraded

    entry: EventCodec[Any, Any] = REGISTRY.by_name["ComplaintRouted"]
    upcasting = replace(entry, schema_version=2, upcasters={1: routed_v1_as_archived})
    monkeypatch.setitem(REGISTRY.by_name, entry.name, upcasting)

    decoded = codec.decode(old.SerializeToString())

    assert isinstance(decoded.payload, ev.ComplaintArchived)
    assert decoded.event_type == "Lifecycle.ComplaintArchived"
    assert decoded.payload.reason == routed_payload.reason
    assert decoded.payload.actor.subject == "wa-gateway"
