"""Helpers for tests of code that uses the aggregate (here and in the services): named actors and a complaint
driven through decide/evolve that keeps its stream."""

from __future__ import annotations

from datetime import datetime

from suara_complaint.actors import Actor, Role
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.commands import Command
from suara_complaint.decide import Refusal, decide
from suara_complaint.events import Event
from suara_complaint.policy import Context, Policy
from suara_complaint.state import ComplaintState, evolve

INTEGRATOR = Actor("portal-kota", Role.INTEGRATOR)
OTHER_INTEGRATOR = Actor("bot-wa", Role.INTEGRATOR)
COORDINATOR = Actor("koordinator-ani", Role.COORDINATOR)
ROUTER = Actor("suara-router", Role.SYSTEM)
AUDITOR = Actor("auditor-itjen", Role.AUDITOR)


def officer(opd: str) -> Actor:
    return Actor(f"petugas-{opd.lower()}", Role.OPD_OFFICER, opd)


def head(opd: str) -> Actor:
    return Actor(f"kepala-{opd.lower()}", Role.OPD_HEAD, opd)


class Complaint:
    """One complaint driven through decide/evolve, keeping its stream."""

    def __init__(self, calendar: WorkingCalendar, policy: Policy, now: datetime) -> None:
        self.calendar, self.policy, self.now = calendar, policy, now
        self.state: ComplaintState | None = None
        self.events: list[Event] = []

    def ctx(self) -> Context:
        return Context(self.now, self.policy, self.calendar)

    def try_(self, command: Command) -> list[Event] | Refusal:
        result = decide(self.state, command, self.ctx())
        if isinstance(result, list):
            for e in result:
                self.state = evolve(self.state, e)
            self.events.extend(result)
        return result

    def do(self, command: Command) -> list[Event]:
        result = self.try_(command)
        assert not isinstance(result, Refusal), result
        return result

    def refused(self, command: Command) -> Refusal:
        result = self.try_(command)
        assert isinstance(result, Refusal), f"expected a refusal, got {result}"
        return result

    @property
    def s(self) -> ComplaintState:
        assert self.state is not None
        return self.state
