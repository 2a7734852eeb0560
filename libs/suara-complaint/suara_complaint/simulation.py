"""A seeded, pure simulation of complaint lifecycles: random commands by every role on a test clock, with
hand-backs, re-dispatches, owner decisions, requests for information, reopenings, duplicates, ratings and deadlines
passing. Returns the event streams; the caller checks them (tests) or drives real services with the same commands.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

from suara_complaint import commands as c
from suara_complaint.actors import Actor, Role
from suara_complaint.calendar import WIB, WorkingCalendar
from suara_complaint.deadlines import due_commands
from suara_complaint.decide import Refusal, decide
from suara_complaint.events import Event
from suara_complaint.lifecycle import TERMINAL, Status
from suara_complaint.policy import Context, EscalationLevel, Policy, Priority, ResolutionKind
from suara_complaint.state import ComplaintState, evolve
from suara_complaint.testing import COORDINATOR, INTEGRATOR, ROUTER

OPDS = ("DPUPR", "DLHKP", "DISHUB", "DISPERKIM", "DINSOS", "BPBD", "SATPOLPP")
CATEGORIES = (("jalan_rusak", Priority.NORMAL), ("pohon", Priority.TINGGI), ("kebakaran", Priority.DARURAT))
NOTIFIER = Actor("suara-notifier", Role.SYSTEM)


@dataclass
class SimulationResult:
    streams: dict[str, list[Event]]
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # refusal rule -> count
    commands: list[tuple[datetime, c.Command]] = field(default_factory=list)  # every command tried, in order


class _Base(TypedDict):
    complaint_id: str
    expected_version: int


def _officer(opd: str, head: bool = False) -> Actor:
    return Actor(f"{'kepala' if head else 'petugas'}-{opd.lower()}", Role.OPD_HEAD if head else Role.OPD_OFFICER, opd)


class _Driver:
    def __init__(
        self, rng: random.Random, policy: Policy, calendar: WorkingCalendar, result: SimulationResult, chaos: float
    ):
        self.rng, self.policy, self.calendar, self.result, self.chaos = rng, policy, calendar, result, chaos
        self.serial = 0

    def key(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def run(self, state: ComplaintState | None, command: c.Command, now: datetime) -> ComplaintState | None:
        self.result.commands.append((now, command))
        decision = decide(state, command, Context(now, self.policy, self.calendar))
        if isinstance(decision, Refusal):
            self.result.refused[decision.rule] = self.result.refused.get(decision.rule, 0) + 1
            return state
        self.result.accepted += 1
        for e in decision:
            state = evolve(state, e)
            self.result.streams.setdefault(e.complaint_id, []).append(e)
        return state

    def tick(self, state: ComplaintState | None, now: datetime) -> ComplaintState | None:
        for command in due_commands(state, now, self.policy, self.calendar):
            state = self.run(state, command, now)
        return state

    def any_command(self, s: ComplaintState) -> c.Command:
        r = self.rng
        common: dict[str, Any] = {
            "complaint_id": s.complaint_id,
            "actor": _any_actor(r),
            "idempotency_key": self.key("any"),
            "expected_version": r.choice([None, s.version, s.version - 1]),
        }
        opd = r.choice(OPDS)
        text = r.choice(["", "alasan", "x" * 5000])
        options: list[Callable[[], c.Command]] = [
            lambda: c.AddInfo(**common, text=text),
            lambda: c.ConfirmResolved(**common),
            lambda: c.Reopen(**common, reason=text),
            lambda: c.Rate(**common, score=r.randint(0, 5), comment=""),
            lambda: c.Verify(**common, kind=r.choice(list(ResolutionKind))),
            lambda: c.RequestInfo(**common, question=text),
            lambda: c.Dispatch(**common, opd=opd),
            lambda: c.Redispatch(**common, opd=opd, reason=text),
            lambda: c.MarkDuplicate(**common, duplicate_of=r.choice([s.complaint_id, "lain"])),
            lambda: c.Archive(**common, reason=text),
            lambda: c.Escalate(**common, reason=text, level=r.choice(list(EscalationLevel))),
            lambda: c.DecideOwner(**common, opd=opd, reason=text, final=r.random() < 0.5),
            lambda: c.Acknowledge(**common),
            lambda: c.Assign(**common, officer=r.choice(["", "budi"])),
            lambda: c.PostFollowUp(**common, text=text),
            lambda: c.HandBack(**common, reason=text, suggested_opd=opd),
            lambda: c.Resolve(**common, resolution=text),
            lambda: c.Route(**common, opd=opd, rule_id="R-ANY", reason=text),
            lambda: c.RecordNotification(**common, opd=opd, channel="email", recipient="a@b", outcome="failed"),
        ]
        return r.choice(options)()

    def next_command(self, s: ComplaintState) -> c.Command:
        r, cid, v = self.rng, s.complaint_id, s.version
        base = _Base(complaint_id=cid, expected_version=v)
        holder = _officer(s.opd, head=r.random() < 0.2) if s.opd else _officer(r.choice(OPDS))
        other = r.choice([o for o in OPDS if o != s.opd])
        if r.random() < self.chaos:
            return self.any_command(s)
        # A small share of commands come from the wrong person or at the wrong time, to exercise refusals.
        if r.random() < 0.05:
            return r.choice(
                [
                    c.Resolve(**base, actor=_officer(other), idempotency_key=self.key("x"), resolution="bukan kami"),
                    c.Acknowledge(**base, actor=INTEGRATOR, idempotency_key=self.key("x")),
                    c.Rate(**base, actor=INTEGRATOR, idempotency_key=self.key("x"), score=r.choice([0, 5, 3])),
                    c.Reopen(**base, actor=INTEGRATOR, idempotency_key=self.key("x"), reason="belum beres"),
                    c.Verify(
                        complaint_id=cid,
                        expected_version=max(v - 1, 0),  # stale
                        actor=COORDINATOR,
                        idempotency_key=self.key("x"),
                    ),
                ]
            )
        match s.status:
            case Status.SUBMITTED:
                return r.choices(
                    [
                        c.Route(
                            **base,
                            actor=ROUTER,
                            idempotency_key=self.key("route"),
                            opd=r.choice(OPDS),
                            rule_id="R-SIM",
                            reason="aturan kategori",
                        ),
                        c.Verify(
                            **base,
                            actor=COORDINATOR,
                            idempotency_key=self.key("verify"),
                            kind=r.choice(list(ResolutionKind)),
                        ),
                        c.Dispatch(**base, actor=COORDINATOR, idempotency_key=self.key("dispatch"), opd=r.choice(OPDS)),
                        c.MarkDuplicate(
                            **base,
                            actor=COORDINATOR,
                            idempotency_key=self.key("dup"),
                            duplicate_of=f"other-{r.randrange(1000)}",
                        ),
                        c.Archive(**base, actor=COORDINATOR, idempotency_key=self.key("arch"), reason="bukan aduan"),
                        c.RequestInfo(**base, actor=COORDINATOR, idempotency_key=self.key("ask"), question="Lokasi?"),
                    ],
                    weights=[60, 10, 15, 3, 2, 10],
                )[0]
            case Status.RETURNED:
                fresh = [o for o in OPDS if o not in s.handed_back_by] or list(OPDS)
                return r.choices(
                    [
                        c.Route(
                            **base,
                            actor=ROUTER,
                            idempotency_key=self.key("route"),
                            opd=r.choice(fresh),
                            rule_id="R-SIM",
                            reason="dialihkan",
                        ),
                        c.Route(
                            **base,
                            actor=ROUTER,
                            idempotency_key=self.key("route"),
                            opd=r.choice(s.handed_back_by),
                            rule_id="R-SIM",
                            reason="dialihkan",
                        ),
                        c.DecideOwner(
                            **base,
                            actor=COORDINATOR,
                            idempotency_key=self.key("decide"),
                            opd=r.choice(OPDS),
                            reason="keputusan koordinator",
                            final=r.random() < 0.7,
                        ),
                    ],
                    weights=[70, 10, 20],
                )[0]
            case Status.NEEDS_COORDINATOR:
                return r.choices(
                    [
                        c.DecideOwner(
                            **base,
                            actor=COORDINATOR,
                            idempotency_key=self.key("decide"),
                            opd=r.choice(OPDS),
                            reason="keputusan koordinator",
                            final=r.random() < 0.8,
                        ),
                        c.Dispatch(**base, actor=COORDINATOR, idempotency_key=self.key("dispatch"), opd=other),
                        c.Escalate(
                            **base,
                            actor=COORDINATOR,
                            idempotency_key=self.key("esc"),
                            reason="macet",
                            level=EscalationLevel.SEKDA,
                        ),
                    ],
                    weights=[80, 10, 10],
                )[0]
            case Status.DISPATCHED | Status.REOPENED:
                return r.choices(
                    [
                        c.Acknowledge(**base, actor=holder, idempotency_key=self.key("ack")),
                        c.HandBack(
                            **base,
                            actor=holder,
                            idempotency_key=self.key("back"),
                            reason="bukan wewenang",
                            suggested_opd=other,
                        ),
                        c.Resolve(**base, actor=holder, idempotency_key=self.key("res"), resolution="selesai"),
                        c.Redispatch(
                            **base, actor=COORDINATOR, idempotency_key=self.key("redis"), opd=other, reason="salah OPD"
                        ),
                        c.RecordNotification(
                            **base,
                            actor=NOTIFIER,
                            idempotency_key=self.key("mail"),
                            opd=s.opd or "",
                            channel="email",
                            recipient="x@y",
                            outcome="delivered",
                        ),
                    ],
                    weights=[55, 25, 5, 5, 10],
                )[0]
            case Status.ACKNOWLEDGED | Status.IN_PROGRESS:
                return r.choices(
                    [
                        c.Assign(**base, actor=holder, idempotency_key=self.key("assign"), officer="petugas-2"),
                        c.PostFollowUp(**base, actor=holder, idempotency_key=self.key("fu"), text="sedang dikerjakan"),
                        c.Resolve(**base, actor=holder, idempotency_key=self.key("res"), resolution="sudah diperbaiki"),
                        c.HandBack(
                            **base,
                            actor=holder,
                            idempotency_key=self.key("back"),
                            reason="ternyata bukan",
                            suggested_opd=other,
                        ),
                        c.RequestInfo(**base, actor=COORDINATOR, idempotency_key=self.key("ask"), question="Foto?"),
                    ],
                    weights=[15, 30, 35, 10, 10],
                )[0]
            case Status.WAITING_ON_CITIZEN:
                return r.choices(
                    [
                        c.AddInfo(**base, actor=INTEGRATOR, idempotency_key=self.key("info"), text="Di depan SDN 3"),
                        c.Archive(**base, actor=COORDINATOR, idempotency_key=self.key("arch"), reason="tak dijawab"),
                    ],
                    weights=[90, 10],
                )[0]
            case Status.RESOLVED:
                return r.choices(
                    [
                        c.ConfirmResolved(**base, actor=INTEGRATOR, idempotency_key=self.key("ok")),
                        c.Reopen(**base, actor=INTEGRATOR, idempotency_key=self.key("reopen"), reason="belum beres"),
                        c.Rate(**base, actor=INTEGRATOR, idempotency_key=self.key("rate"), score=r.randint(1, 4)),
                    ],
                    weights=[30, 25, 45],
                )[0]
            case _:  # closed: a rating, or nothing
                return c.Rate(**base, actor=INTEGRATOR, idempotency_key=self.key("rate"), score=r.randint(1, 4))


def _any_actor(rng: random.Random) -> Actor:
    opd = rng.choice(OPDS)
    return rng.choice(
        [
            INTEGRATOR,
            Actor("bot-lain", Role.INTEGRATOR),
            COORDINATOR,
            ROUTER,
            NOTIFIER,
            Actor("auditor", Role.AUDITOR),
            _officer(opd),
            _officer(opd, head=True),
        ]
    )


def simulate(
    k: int,
    seed: int,
    policy: Policy,
    calendar: WorkingCalendar,
    *,
    start: datetime = datetime(2026, 3, 2, 8, 0, tzinfo=WIB),
    max_steps: int = 40,
    chaos: float = 0.0,
    rng: random.Random | None = None,
) -> SimulationResult:
    """Drive `k` complaints through random lifecycles. Each step either lets time pass (minutes to working weeks,
    so deadlines warn, breach, escalate and auto-close) and ticks the deadline clock, or has someone act. The same
    seed gives the same streams. `chaos` is the share of commands drawn from every command type and every role,
    whatever the status (most are refused; the tests want the refusals to hold)."""
    rng = rng or random.Random(seed)
    result = SimulationResult(streams={})
    driver = _Driver(rng, policy, calendar, result, chaos)
    for n in range(k):
        cid = f"sim-{seed}-{n:05d}"
        now = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
        category, priority = rng.choices(CATEGORIES, weights=[80, 15, 5])[0]
        state = driver.run(
            None,
            c.Submit(
                complaint_id=cid,
                actor=INTEGRATOR,
                idempotency_key=f"submit-{cid}",
                tracking_number=f"KDR-{n:05d}",
                category=category,
                priority=priority,
                text="Aduan simulasi",
                kelurahan_code="3571010001",
                source_channel="web_portal",
            ),
            now,
        )
        for _ in range(max_steps):
            if state is None or (state.status in TERMINAL and state.rating is not None):
                break
            if rng.random() < 0.35:
                unit = 1 if priority is Priority.DARURAT else 60
                now += timedelta(minutes=rng.choice([5, 30, 240, 60 * 24, 60 * 24 * 4, 60 * 24 * 9]) * unit // 60)
                state = driver.tick(state, now)
                continue
            if rng.random() < 0.05 and state.version > 0:
                # a retry of the last command: must record nothing
                last = result.commands[-1][1]
                if last.complaint_id == cid:
                    state = driver.run(state, last, now)
                    continue
            if state.status in TERMINAL and state.status is not Status.CLOSED:
                break
            state = driver.run(state, driver.next_command(state), now)
            now += timedelta(minutes=rng.randrange(1, 180))
        # Let the rest of time pass: every open deadline fires its last firing.
        state = driver.tick(state, now + timedelta(days=120))
    return result
