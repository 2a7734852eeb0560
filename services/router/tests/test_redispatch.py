"""After a hand-back (Bukan Wewenang) the router re-dispatches through the aggregate: never to an OPD that refused
the complaint; after the cap, the coordinator decides (issue 5 §3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from suara_complaint import Actor as LifecycleActor
from suara_complaint import Policy, Role, Status, load_calendar
from suara_complaint import commands as c
from suara_kit import codec
from suara_kit.complaints import ComplaintStore
from suara_kit.events import (
    Actor,
    ActorKind,
    ComplaintRouted,
    ComplaintSubmitted,
    Event,
    Payload,
    Priority,
    RoutingSuggestion,
    SourceChannel,
)
from suara_kit.journal import InMemoryJournal, StoredEvent
from suara_router import handlers
from suara_router.domain.redispatch import next_opd

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CALENDAR = load_calendar(Path(__file__).resolve().parents[3] / "data" / "calendar")
CITY = {"DPUPR", "DLHKP", "DISHUB", "DISPERKIM", "DISKOMINFO"}


def envelope(payload: Payload, complaint_id: str, sequence: int) -> Event:
    return Event(
        str(uuid.uuid4()), complaint_id, sequence, AT, Actor(ActorKind.INTEGRATOR, "lapor-112"), "r", "r", "t", payload
    )


class Stack:
    def __init__(self) -> None:
        self.journal = InMemoryJournal()
        self.now = AT + timedelta(minutes=5)
        self.store = ComplaintStore(self.journal, Policy(), CALENDAR, producer="test", clock=lambda: self.now)
        self.deps = handlers.RouterDeps(
            catalogue=None,  # type: ignore[arg-type]  # not used by re-dispatch
            classifier=None,  # type: ignore[arg-type]
            duplicates=None,  # type: ignore[arg-type]
            recent=None,  # type: ignore[arg-type]
            clock=lambda: self.now,
            coordinator_desk="DISKOMINFO",
            complaints=self.store,
            dispatchable=lambda opd: opd in CITY,
        )

    def routed_complaint(self) -> str:
        complaint_id = str(uuid.uuid4())
        submitted = ComplaintSubmitted(
            "KDR-AAAAA-BBBBB", "Saluran air mampet, banjir tiap hujan.", "", "35.71.01.1008", "Mrican", "Mojoroto",
            SourceChannel.WHATSAPP, False, False, "k-1",
        )  # fmt: skip
        routed = ComplaintRouted(
            "DPUPR", "DPUPR", Priority.NORMAL, AT, "R-1", "saluran", category="drainase",
            alternatives=(RoutingSuggestion("drainase", "DPUPR", 0.6), RoutingSuggestion("sampah", "DLHKP", 0.2),
                          RoutingSuggestion("lainnya", "DISPERKIM", 0.1)),
        )  # fmt: skip
        for sequence, payload in ((1, submitted), (2, routed)):
            event = envelope(payload, complaint_id, sequence)
            self.journal.append(
                StoredEvent(event.event_id, complaint_id, sequence, event.event_type, codec.encode(event))
            )
        return complaint_id

    def hand_back(self, complaint_id: str, opd: str, suggested: str = ""):
        officer = LifecycleActor(f"officer-{opd.lower()}", Role.OPD_OFFICER, opd)
        key = f"hb-{uuid.uuid4()}"
        outcome = self.store.execute(
            c.HandBack(
                complaint_id=complaint_id,
                actor=officer,
                idempotency_key=key,
                reason="bukan wewenang kami",
                suggested_opd=suggested,
            )
        )
        (handed_back,) = [e.payload for e in outcome.recorded if e.event_type == "Lifecycle.ComplaintHandedBack"]
        return handed_back

    def state(self, complaint_id: str):
        return self.store.load(complaint_id).state


@pytest.fixture
def stack() -> Stack:
    return Stack()


def test_a_handed_back_complaint_goes_to_the_suggested_opd_with_the_reason_recorded(stack) -> None:
    complaint_id = stack.routed_complaint()
    handed_back = stack.hand_back(complaint_id, "DPUPR", suggested="DLHKP")

    outcome = handlers.redispatch_handed_back(handed_back, stack.deps)

    assert outcome is not None
    state = stack.state(complaint_id)
    assert (state.status, state.opd) == (Status.DISPATCHED, "DLHKP")
    dispatched = outcome.recorded[-1].payload
    assert "DPUPR handed it back (bukan wewenang kami)" in dispatched.reason
    assert dispatched.rule_id == "redispatch-after-hand-back"


def test_without_a_suggestion_the_models_next_alternative_that_did_not_refuse_gets_it(stack) -> None:
    complaint_id = stack.routed_complaint()

    handlers.redispatch_handed_back(stack.hand_back(complaint_id, "DPUPR"), stack.deps)

    assert stack.state(complaint_id).opd == "DLHKP"


def test_a_redelivered_hand_back_records_nothing_more(stack) -> None:
    complaint_id = stack.routed_complaint()
    handed_back = stack.hand_back(complaint_id, "DPUPR", suggested="DLHKP")
    handlers.redispatch_handed_back(handed_back, stack.deps)
    version = stack.state(complaint_id).version

    assert handlers.redispatch_handed_back(handed_back, stack.deps) is None
    assert stack.state(complaint_id).version == version


def test_the_second_hand_back_puts_it_on_the_coordinators_desk_and_the_router_leaves_it_there(stack) -> None:
    complaint_id = stack.routed_complaint()
    handlers.redispatch_handed_back(stack.hand_back(complaint_id, "DPUPR", suggested="DLHKP"), stack.deps)

    second = stack.hand_back(complaint_id, "DLHKP", suggested="DPUPR")  # back to the first refuser: never
    outcome = handlers.redispatch_handed_back(second, stack.deps)

    assert outcome is None
    state = stack.state(complaint_id)
    assert state.status is Status.NEEDS_COORDINATOR
    assert state.handed_back_by == ("DPUPR", "DLHKP")


def test_next_opd_skips_refusers_outside_bodies_and_repeats() -> None:
    choice = next_opd(
        suggested="PLN",
        alternatives=["DPUPR", "DPUPR", "DLHKP"],
        refused_by=["DPUPR"],
        dispatchable=lambda opd: opd != "PLN",
    )

    assert choice is not None and choice.opd == "DLHKP"
    assert next_opd(suggested="", alternatives=["DPUPR"], refused_by=["DPUPR"], dispatchable=lambda o: True) is None
