"""Registry entries for the complaint lifecycle's events (suara_complaint.events <-> lifecycle.proto).

Each dataclass field maps to the proto field of the same name; the mapping per field is picked once, at import, from
the field's type (str, bool, int, datetime, Budget or one of the aggregate's string enums) and checked against the
proto field's type, so a field added on one side only fails at import, naming it. The fields every lifecycle event
shares (event_id, complaint_id, at, actor, command_key) travel in the envelope.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.protobuf import message as pb_message
from google.protobuf.descriptor import EnumDescriptor, FieldDescriptor

from suara.v1 import events_pb2 as pb
from suara.v1 import lifecycle_pb2 as lc
from suara_complaint import events as ev
from suara_complaint.actors import Actor, Role
from suara_complaint.policy import Budget, BudgetUnit
from suara_kit.events import ActorKind, lifecycle_wire_name
from suara_kit.registry import EventCodec, UndecodableEvent, moment, reverse, timestamp

# The fields of suara_complaint.events.Event, carried by the envelope.
COMMON_FIELDS = frozenset(f.name for f in dataclasses.fields(ev.Event))

ROLES: dict[Role, int] = {
    Role.COORDINATOR: pb.ACTOR_ROLE_COORDINATOR,
    Role.OPD_OFFICER: pb.ACTOR_ROLE_OPD_OFFICER,
    Role.OPD_HEAD: pb.ACTOR_ROLE_OPD_HEAD,
    Role.INTEGRATOR: pb.ACTOR_ROLE_INTEGRATOR,
    Role.SYSTEM: pb.ACTOR_ROLE_SYSTEM,
    Role.AUDITOR: pb.ACTOR_ROLE_AUDITOR,
}
# The envelope's coarser actor kind, for readers that know only kinds (the audit log, `suara trace`).
KINDS: dict[Role, ActorKind] = {
    Role.COORDINATOR: ActorKind.STAFF,
    Role.OPD_OFFICER: ActorKind.STAFF,
    Role.OPD_HEAD: ActorKind.STAFF,
    Role.AUDITOR: ActorKind.STAFF,
    Role.INTEGRATOR: ActorKind.INTEGRATOR,
    Role.SYSTEM: ActorKind.SERVICE,
}


def actor_to_proto(actor: Actor, kind: int) -> pb.Actor:
    return pb.Actor(kind=kind, id=actor.subject, role=ROLES[actor.role], opd=actor.opd or "")  # type: ignore[arg-type]  # kind is an ActorKind value


def actor_from_proto(actor: pb.Actor) -> Actor:
    role = reverse(ROLES, actor.role, "actor.role")
    try:
        return Actor(actor.id, role, actor.opd or None)
    except ValueError as error:
        raise UndecodableEvent(f"actor: {error}") from None


# --- per-field mappings --------------------------------------------------------------------------------------------

ToWire = Callable[[Any], Any]
FromWire = Callable[[pb_message.Message, str], Any]


def _enum_table(py_enum: type[enum.StrEnum], proto_enum: EnumDescriptor) -> dict[Any, int]:
    """Python member <-> proto value by name: ResolutionKind.SENGKETA_LAPANGAN <-> RESOLUTION_KIND_SENGKETA_LAPANGAN."""
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", proto_enum.name).upper() + "_"
    names = {member: prefix + member.name for member in py_enum}
    missing = sorted(n for n in names.values() if n not in proto_enum.values_by_name)
    extra = sorted(set(proto_enum.values_by_name) - set(names.values()) - {prefix + "UNSPECIFIED"})
    if missing or extra:
        raise ValueError(
            f"lifecycle codec: {proto_enum.full_name} and {py_enum.__name__} differ: "
            f"not on the wire {missing}, not in Python {extra}"
        )
    return {member: proto_enum.values_by_name[n].number for member, n in names.items()}


def _budget_to_proto(budget: Budget) -> lc.Lifecycle.Budget:
    return lc.Lifecycle.Budget(amount=budget.amount, unit=_BUDGET_UNITS[budget.unit])  # type: ignore[arg-type]  # a BudgetUnit value


def _budget_from_proto(budget: lc.Lifecycle.Budget, name: str) -> Budget:
    return Budget(budget.amount, reverse(_BUDGET_UNITS, budget.unit, f"{name}.unit"))


_BUDGET_UNITS = _enum_table(BudgetUnit, lc.Lifecycle.BudgetUnit.DESCRIPTOR)
_SCALARS: dict[type, int] = {
    str: FieldDescriptor.TYPE_STRING,
    bool: FieldDescriptor.TYPE_BOOL,
    int: FieldDescriptor.TYPE_UINT32,
}


def _field_mapping(owner: str, name: str, hint: Any, proto_field: Any) -> tuple[ToWire, FromWire]:
    """`proto_field` is a FieldDescriptor or None (typed Any: protobuf's C and Python descriptors differ in type)."""
    where = f"{owner}.{name}"
    if proto_field is None:
        raise ValueError(f"lifecycle codec: {where} has no proto field")
    if hint in _SCALARS:
        if proto_field.type != _SCALARS[hint]:
            raise ValueError(
                f"lifecycle codec: {where} is {hint.__name__} but the proto field has type {proto_field.type}"
            )
        return (lambda value: value), (lambda message, field_name: getattr(message, field_name))
    if hint is datetime or hint is Budget:
        expected = "google.protobuf.Timestamp" if hint is datetime else lc.Lifecycle.Budget.DESCRIPTOR.full_name
        if proto_field.message_type is None or proto_field.message_type.full_name != expected:
            raise ValueError(f"lifecycle codec: {where} must be a {expected} on the wire")
        convert_in: ToWire = timestamp if hint is datetime else _budget_to_proto
        owner_case = _case_name(owner)

        def from_message(message: pb_message.Message, field_name: str) -> Any:
            if not message.HasField(field_name):
                raise UndecodableEvent(f"{owner_case}.{field_name}: not set")
            value = getattr(message, field_name)
            return moment(value) if hint is datetime else _budget_from_proto(value, f"{owner_case}.{field_name}")

        return convert_in, from_message
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        if proto_field.enum_type is None:
            raise ValueError(f"lifecycle codec: {where} must be a proto enum")
        table = _enum_table(hint, proto_field.enum_type)
        label = f"{_case_name(owner)}.{name}"
        return (lambda value: table[value]), (
            lambda message, field_name: reverse(table, getattr(message, field_name), label)
        )
    raise ValueError(f"lifecycle codec: {where} has a type the codec does not map: {hint!r}")


def _case_name(type_name: str) -> str:
    return "lifecycle_" + re.sub(r"(?<!^)(?=[A-Z])", "_", type_name).lower()


def entry(event_type: type[ev.Event]) -> EventCodec[Any, Any]:
    """The registry entry of one lifecycle event type: its proto message is Lifecycle.<same name>, its envelope case
    lifecycle_<snake_case name>."""
    name = event_type.__name__
    message_type: type[pb_message.Message] = getattr(lc.Lifecycle, name)
    hints = typing.get_type_hints(event_type)
    proto_fields = message_type.DESCRIPTOR.fields_by_name
    own = [f.name for f in dataclasses.fields(event_type) if f.name not in COMMON_FIELDS]
    extra = sorted(set(proto_fields) - set(own))
    if extra:
        raise ValueError(f"lifecycle codec: Lifecycle.{name} has fields {extra} that {name} has not")
    mappings = {
        field_name: _field_mapping(name, field_name, hints[field_name], proto_fields.get(field_name))
        for field_name in own
    }

    def encode(event: ev.Event) -> pb_message.Message:
        return message_type(
            **{field_name: to_wire(getattr(event, field_name)) for field_name, (to_wire, _) in mappings.items()}
        )

    def decode(message: pb_message.Message, envelope: pb.EventEnvelope) -> ev.Event:
        values = {field_name: from_wire(message, field_name) for field_name, (_, from_wire) in mappings.items()}
        return event_type(
            event_id=str(uuid.UUID(envelope.event_id)),  # the codec checked both are UUIDs
            complaint_id=str(uuid.UUID(envelope.complaint_id)),
            at=moment(envelope.occurred_at),
            actor=actor_from_proto(envelope.actor),
            command_key=envelope.command_key,
            **values,
        )

    return EventCodec(
        name=lifecycle_wire_name(event_type),
        payload_type=event_type,
        case=_case_name(name),
        message_type=message_type,
        encode=encode,
        decode=decode,
    )


ENTRIES: tuple[EventCodec[Any, Any], ...] = tuple(entry(t) for t in ev.EVENT_TYPES)
