"""`make simulate N=2000`: complaints through whole lifecycles on the real services, broker and store, with working
days passing on the shared test clock (suara_kit.clock, docs/decisions/0026-test-clock.md).

Starts its own stack (ports 28xxx and 27028, state in var/simulate, SUARA_TEST_CLOCK=store), submits N complaints as
the demo integrators, then for a number of rounds has the demo users act on every open complaint through
CaseworkService (coordinator, officers and heads of DPUPR and DLHKP, the submitting integrator as the citizen):
mostly what the complaint's status allows, some of it by the wrong person, on a stale version, or a retry. Between
rounds the test clock moves on by working days, so the deadline clock warns, breaches, escalates and auto-closes.
Refusals are expected and counted by kind: the point is that the illegal ones are refused.

At the end, once the events topic is quiet, it checks that (a) every complaint's journal stream folds and passes
suara_complaint.invariants.check_trace, (b) no complaint had more hand-backs than the cap without a decision,
(c) every deadline firing and deadline event id was recorded once, (d) `suara replay --check` is clean. Prints a
summary, writes bench/results/simulation-N.json, exits 1 on any violation.

The integration test tests/integration/test_simulation.py runs the same `simulate()` on the test stack.
Settings: N (complaints), SUARA_SIM_SEED, SUARA_SIM_ROUNDS, SUARA_SIM_WORKERS.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from pymongo import MongoClient

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara.v1 import complaints_pb2, complaints_pb2_grpc, events_pb2
from suara_complaint import Policy, load_rules
from suara_complaint import events as lc
from suara_complaint.calendar import WorkingCalendar
from suara_complaint.invariants import check_trace
from suara_complaint.lifecycle import TERMINAL, Status
from suara_complaint.state import ComplaintState, EvolveError, fold
from suara_kit import clock, codec
from suara_kit.complaint_stream import lifecycle_events
from suara_kit.complaints import ComplaintStore
from suara_kit.identity.dev import DevIdentityProvider
from suara_kit.journal import MongoJournal

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / "var/simulate"
RESULTS = REPO / "bench/results"
# Below the ephemeral range, apart from make run (15xxx/9092/27017), the tests (19xxx/17017), the bench (29xxx/27018).
PORTS = {
    "SUARA_KAFKA_PORT": "28092",
    "SUARA_KAFKA_CONTROLLER_PORT": "28093",
    "SUARA_FERRETDB_PORT": "27028",
    "SUARA_SMTP_PORT": "28025",
}
LISTEN = {
    "SUARA_INTAKE_LISTEN": "127.0.0.1:28051",
    "SUARA_ROUTER_HEALTH_LISTEN": "127.0.0.1:28052",
    "SUARA_NOTIFIER_HEALTH_LISTEN": "127.0.0.1:28053",
    "SUARA_AUDIT_LISTEN": "127.0.0.1:28054",
    "SUARA_CASEWORK_LISTEN": "127.0.0.1:28055",
}

# Categories whose router rule goes to one of the demo OPDs (data/kota-kediri/categories.toml), with texts that
# trip none of their overrides (no "gang", "paving", "jalan provinsi", ...).
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "jalan_rusak": ("DPUPR", ("Jalan {place} berlubang dalam, motor sering jatuh", "Aspal jalan {place} ambles")),
    "drainase": ("DPUPR", ("Saluran air di {place} tersumbat lumpur", "Gorong-gorong dekat {place} mampet")),
    "sampah": ("DLHKP", ("Sampah menumpuk di TPS {place} belum diangkut", "Tumpukan sampah di {place} bau")),
    "taman": ("DLHKP", ("Taman dekat {place} tidak terawat, rumput tinggi",)),
    "pohon": ("DLHKP", ("Dahan pohon besar di {place} miring ke jalan, mohon dipangkas",)),
    "pencemaran": ("DLHKP", ("Limbah cair dibuang ke sungai dekat {place}, airnya hitam",)),
}
KELURAHAN = ("Mojoroto", "Mrican", "Tosaren", "Pakunden", "Banjaran", "Bandar Lor", "Tinalan", "Pojok")
OPDS = ("DPUPR", "DLHKP")
OFFICER = {"DPUPR": "officer-dpupr", "DLHKP": "officer-dlhkp"}
HEAD = {"DPUPR": "head-dpupr", "DLHKP": "head-dlhkp"}
COORDINATOR = "coordinator-diskominfo"
INTEGRATORS = ("integrator-112", "integrator-portal")
USERS = (COORDINATOR, *OFFICER.values(), *HEAD.values(), *INTEGRATORS, "auditor")
FIRING_TYPES = {"DeadlineWarned", "DeadlineBreached", "ComplaintAutoClosed"}


@dataclass(frozen=True)
class Target:
    """A running stack: where its services, broker and store are, and its identity provider's folder."""

    intake: str
    casework: str
    kafka_bootstrap: str
    mongo_url: str
    database: str
    events_topic: str
    identity_dir: Path
    catalogue_dir: Path = REPO / "data/kota-kediri"


@dataclass
class Figures:
    """What the simulation did and found; `violations` empty means every check passed."""

    complaints: int = 0
    rounds: int = 0
    tried: Counter[str] = field(default_factory=Counter)  # command -> count
    accepted: Counter[str] = field(default_factory=Counter)
    noop: Counter[str] = field(default_factory=Counter)  # accepted, nothing recorded (retries, repeats)
    refused: dict[str, Counter[str]] = field(default_factory=dict)  # command -> gRPC code -> count
    events: Counter[str] = field(default_factory=Counter)  # event type in the journal -> count
    statuses: Counter[str] = field(default_factory=Counter)  # final status -> complaints
    clock_steps: list[float] = field(default_factory=list)  # working days per step
    offset_days: float = 0.0
    deadline_firings: int = 0
    hand_backs: int = 0
    max_hand_backs_between_decisions: int = 0
    reopenings: int = 0
    replay_exit: int | None = None
    violations: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "complaints": self.complaints,
            "rounds": self.rounds,
            "commands": {
                name: {
                    "tried": self.tried[name],
                    "accepted": self.accepted[name],
                    "recorded_nothing": self.noop[name],
                    "refused": dict(sorted(self.refused.get(name, Counter()).items())),
                }
                for name in sorted(self.tried)
            },
            "events": dict(sorted(self.events.items())),
            "final_status": dict(sorted(self.statuses.items())),
            "clock_steps_working_days": self.clock_steps,
            "test_clock_offset_days": round(self.offset_days, 2),
            "deadline_firings": self.deadline_firings,
            "hand_backs": self.hand_backs,
            "max_hand_backs_between_decisions": self.max_hand_backs_between_decisions,
            "reopenings": self.reopenings,
            "replay_check_exit": self.replay_exit,
            "violations": self.violations,
            "seconds": {k: round(v, 1) for k, v in self.seconds.items()},
        }


class Bearer(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self, token: str) -> None:
        self._metadata = ("authorization", f"Bearer {token}")

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(details._replace(metadata=[*(details.metadata or ()), self._metadata]), request)


@dataclass
class Complaint:
    complaint_id: str
    integrator: str  # the demo user that submitted it: the citizen's voice
    category: str


@dataclass(frozen=True)
class Action:
    method: str
    user: str
    fields: dict[str, Any]
    stale: bool = False


class Simulation:
    def __init__(self, target: Target, seed: int, workers: int, say: Callable[[str], None] = print) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.workers = workers
        self.say = say
        self.policy: Policy
        self.calendar: WorkingCalendar
        self.policy, self.calendar = load_rules(target.catalogue_dir, target.catalogue_dir.parent / "calendar")
        self.client: MongoClient[dict[str, Any]] = MongoClient(target.mongo_url, tz_aware=True, retryWrites=False)
        self.database = self.client[target.database]
        self.store = ComplaintStore(
            MongoJournal(self.database), self.policy, self.calendar, producer="suara-simulation"
        )
        idp = DevIdentityProvider.open(target.identity_dir)
        self.channels = {
            name: grpc.intercept_channel(grpc.insecure_channel(addr), Bearer(idp.mint(user)))
            for user in USERS
            for name, addr in ((f"casework/{user}", target.casework), (f"intake/{user}", target.intake))
        }
        self.figures = Figures()
        self.complaints: list[Complaint] = []
        self.lock = threading.Lock()
        self.last: dict[str, tuple[str, str, Any]] = {}  # complaint -> (method, user, request) of its last command
        self.done: set[str] = set()  # complaints at their end (terminal, and rated if closed)

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.client.close()

    # --- driving ------------------------------------------------------------------------------------------------

    def submit(self, n: int) -> None:
        begin = time.monotonic()

        def one(i: int) -> Complaint:
            rng = random.Random(self.rng.random())
            category = rng.choice(list(CATEGORIES))
            text = rng.choice(CATEGORIES[category][1]).format(place=f"RT {rng.randint(1, 12):02d} no. {i}")
            integrator = rng.choice(INTEGRATORS)
            stub = complaints_pb2_grpc.ComplaintServiceStub(self.channels[f"intake/{integrator}"])
            request = complaints_pb2.SubmitComplaintRequest(
                idempotency_key=f"sim-{uuid.uuid4()}",
                text=text + ".",
                category=category,
                kelurahan=rng.choice(KELURAHAN),
                source_channel=events_pb2.SOURCE_CHANNEL_WEB_PORTAL,
            )
            receipt = stub.SubmitComplaint(request, timeout=60)
            return Complaint(receipt.complaint_id, integrator, category)

        with ThreadPoolExecutor(self.workers) as pool:
            for done, complaint in enumerate(pool.map(one, range(n)), start=1):
                self.complaints.append(complaint)
                if done % 250 == 0 or done == n:
                    self.say(f"  submitted {done}/{n}")
        self.figures.complaints = n
        self.figures.seconds["submit"] = time.monotonic() - begin

    def wait_routed(self, timeout: float = 1800) -> None:
        """Until every complaint has its routing (journal position 2), so the first round acts on routed ones."""
        begin = time.monotonic()
        waiting = [c.complaint_id for c in self.complaints]
        while waiting:
            slots = [f"{complaint_id}:{2:010d}" for complaint_id in waiting]  # journal position 2: the routing
            routed = {
                d["complaint_id"] for d in self.database.journal.find({"_id": {"$in": slots}}, {"complaint_id": 1})
            }
            waiting = [complaint_id for complaint_id in waiting if complaint_id not in routed]
            if waiting and time.monotonic() - begin > timeout:
                raise TimeoutError(f"{len(waiting)} complaints not routed after {timeout:.0f}s")
            time.sleep(1 if waiting else 0)
        self.figures.seconds["routing"] = time.monotonic() - begin

    def run_rounds(self, rounds: int, clock_every: int = 2) -> None:
        begin = time.monotonic()
        for number in range(1, rounds + 1):
            if number > 1 and (number - 1) % clock_every == 0:
                self.advance(self.rng.choice([1, 2, 3, 5]))
            open_ones = [c for c in self.complaints if not self.finished(c)]
            if not open_ones:
                break
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(self.act, open_ones, [random.Random(self.rng.random()) for _ in open_ones]))
            self.figures.rounds = number
            accepted, tried = sum(self.figures.accepted.values()), sum(self.figures.tried.values())
            self.say(
                f"  round {number}/{rounds}: {len(open_ones)} open complaints acted on; {accepted}/{tried} accepted"
            )
        self.figures.seconds["rounds"] = time.monotonic() - begin

    def advance(self, working_days: int) -> None:
        """Move the shared test clock on by `working_days` working days (from the services' now), then let the
        deadline clock record what fell due."""
        before = clock.system_clock() + clock.read_offset(self.database[clock.COLLECTION])
        after = self.calendar.add_working_days(before, working_days)
        offset = clock.advance(self.database, after - before)
        self.figures.clock_steps.append(working_days)
        self.figures.offset_days = offset.total_seconds() / 86400
        self.say(f"  test clock +{working_days} working days (offset now {self.figures.offset_days:.1f} days)")
        time.sleep(1.5)  # the services' cached offsets (200 ms) and one deadline clock tick
        quiesce(self.target, quiet_seconds=4)

    def finished(self, complaint: Complaint) -> bool:
        return complaint.complaint_id in self.done

    def act(self, complaint: Complaint, rng: random.Random) -> None:
        state = self.store.load(complaint.complaint_id).state
        if state is None:
            return
        if state.status in TERMINAL and (state.rating is not None or state.status is not Status.CLOSED):
            with self.lock:
                self.done.add(complaint.complaint_id)
            return
        if rng.random() < 0.03 and complaint.complaint_id in self.last:
            method, user, request = self.last[complaint.complaint_id]  # a retry with the same key
            self.call(complaint, method, user, request, retry=True)
            return
        action = choose(state, complaint, rng, self.complaints)
        if action is None:
            return
        key = f"sim-{uuid.uuid4()}"
        version = max(state.version - 1, 1) if action.stale else state.version
        header = api.CommandHeader(complaint_id=complaint.complaint_id, expected_version=version, idempotency_key=key)
        request = build_request(action.method, header, action.fields)
        self.call(complaint, action.method, action.user, request)

    def call(self, complaint: Complaint, method: str, user: str, request: Any, retry: bool = False) -> None:
        stub = api_grpc.CaseworkServiceStub(self.channels[f"casework/{user}"])
        name = f"{method} (retry)" if retry else method
        try:
            reply = getattr(stub, method)(request, timeout=30)
        except grpc.RpcError as error:
            with self.lock:
                self.figures.tried[name] += 1
                self.figures.refused.setdefault(name, Counter())[error.code().name] += 1
            if error.code() in (
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.UNKNOWN,
            ):
                self.say(f"  ! {method} as {user} on {complaint.complaint_id}: {error.code().name} {error.details()}")
            return
        with self.lock:
            self.figures.tried[name] += 1
            self.figures.accepted[name] += 1
            if not reply.event_ids:
                self.figures.noop[name] += 1
            self.last[complaint.complaint_id] = (method, user, request)

    # --- checking -----------------------------------------------------------------------------------------------

    def check(self) -> None:
        begin = time.monotonic()
        streams: dict[str, list[Any]] = {}
        ours = {c.complaint_id for c in self.complaints}
        # The whole journal in one pass (a shared test database holds other tests' complaints too: only ours count;
        # a recheck of a finished run's own store, which knows no list, counts every stream).
        for document in self.database.journal.find({}, {"complaint_id": 1, "sequence": 1, "data": 1}):
            if document["complaint_id"] in ours or not ours:
                streams.setdefault(document["complaint_id"], []).append((document["sequence"], bytes(document["data"])))
        self.figures.complaints = self.figures.complaints or len(streams)
        missing = ours - set(streams)
        if missing:
            self.figures.violations.append(f"{len(missing)} submitted complaints have no journal stream")
        firing_ids: Counter[str] = Counter()
        cap = self.policy
        for complaint_id, rows in streams.items():
            rows.sort()
            if [s for s, _ in rows] != list(range(1, len(rows) + 1)):
                self.figures.violations.append(f"{complaint_id}: journal positions not 1..{len(rows)}")
            stream = [codec.decode(data) for _, data in rows]
            for event in stream:
                self.figures.events[event.event_type] += 1
            events = lifecycle_events(stream, self.policy)
            try:
                state = fold(events)
            except EvolveError as error:
                self.figures.violations.append(f"{complaint_id}: does not fold: {error}")
                continue
            for violation in check_trace(
                events, hand_back_cap=cap.hand_back_cap_by_category, default_cap=cap.hand_back_cap
            ):
                self.figures.violations.append(
                    f"{complaint_id} event #{violation.position}: {violation.rule}: {violation.detail}"
                )
            self._count(complaint_id, events, state, firing_ids)
        for event_id, times in firing_ids.items():
            if times > 1:
                self.figures.violations.append(f"deadline event {event_id} recorded {times} times")
        self.figures.seconds["check"] = time.monotonic() - begin

    def _count(
        self, complaint_id: str, events: list[lc.Event], state: ComplaintState | None, firing_ids: Counter[str]
    ) -> None:
        since_decision, category = 0, ""
        firings: Counter[tuple[str, str]] = Counter()
        for event in events:
            match event:
                case lc.ComplaintSubmitted():
                    category = event.category
                case lc.OwnerDecided():
                    since_decision = 0
                case lc.ComplaintHandedBack():
                    since_decision += 1
                    self.figures.hand_backs += 1
                    self.figures.max_hand_backs_between_decisions = max(
                        self.figures.max_hand_backs_between_decisions, since_decision
                    )
                    if since_decision > (cap := self.policy.cap_for(category)):
                        self.figures.violations.append(
                            f"{complaint_id}: {since_decision} hand-backs without a decision (cap {cap})"
                        )
                case lc.ComplaintReopened():
                    self.figures.reopenings += 1
                case lc.DeadlineWarned() | lc.DeadlineBreached() | lc.ComplaintAutoClosed():
                    firings[(event.deadline_id, event.type_name())] += 1
                    firing_ids[event.event_id] += 1
                    self.figures.deadline_firings += 1
                case lc.ComplaintEscalated() if event.deadline_id:
                    firings[(event.deadline_id, f"escalation:{event.level}")] += 1
                    firing_ids[event.event_id] += 1
                    self.figures.deadline_firings += 1
                case _:
                    pass
        for (deadline_id, kind), times in firings.items():
            if times > 1:
                self.figures.violations.append(f"{complaint_id}: {kind} for deadline {deadline_id} fired {times} times")
        if state is not None:
            self.figures.statuses[state.status.value] += 1

    def replay_check(self) -> None:
        from suara_cli.main import main as suara

        begin = time.monotonic()
        t = self.target
        args = ["replay", "--check", "--kafka", t.kafka_bootstrap, "--mongo", t.mongo_url, "--database", t.database]
        # The live views projector derives a view per event: after thousands of events in the last rounds it may
        # still be catching up when the topic goes quiet. Wait for it rather than report it behind.
        args += ["--wait-for-live", "1800"]
        self.figures.replay_exit = suara([*args, "--topic", t.events_topic])
        if self.figures.replay_exit != 0:
            self.figures.violations.append(f"suara replay --check exited {self.figures.replay_exit}")
        self.figures.seconds["replay_check"] = time.monotonic() - begin


def choose(s: ComplaintState, complaint: Complaint, rng: random.Random, others: list[Complaint]) -> Action | None:
    """A command for the complaint in its current state: mostly one its status allows, by the right person; about
    one in ten by the wrong person or on a stale version (to be refused)."""
    holder = s.opd if s.opd in OPDS else rng.choice(OPDS)
    other = OPDS[1 - OPDS.index(holder)]
    officer = OFFICER[holder] if rng.random() < 0.8 else HEAD[holder]
    citizen = complaint.integrator
    stale = rng.random() < 0.04
    if rng.random() < 0.07:  # the wrong person, whatever the status
        return rng.choice(
            [
                Action("Resolve", OFFICER[other], {"text": "bukan kami yang mengerjakan"}),
                Action("Acknowledge", citizen, {}),
                Action("Reopen", INTEGRATORS[1 - INTEGRATORS.index(citizen)], {"reason": "bukan aduan saya"}),
                Action("DecideOwner", officer, {"opd": holder, "reason": "kami saja"}),
                Action("Archive", "auditor", {"reason": "auditor tidak boleh"}),
                Action("Rate", citizen, {"score": rng.choice([0, 6])}),
            ]
        )

    def pick(*weighted: tuple[int, Action | None]) -> Action | None:
        chosen = rng.choices([a for _, a in weighted], weights=[w for w, _ in weighted])[0]
        return None if chosen is None else Action(chosen.method, chosen.user, chosen.fields, stale)

    match s.status:
        case Status.SUBMITTED:
            return pick(
                (50, Action("Dispatch", COORDINATOR, {"opd": rng.choice(OPDS), "reason": "sesuai kategori"})),
                (15, Action("Verify", COORDINATOR, {"kind": rng.choice(["pengaduan", "informasi", "sengketa"])})),
                (10, Action("RequestInfo", COORDINATOR, {"question": "Lokasi persisnya di mana?"})),
                (10, Action("MarkDuplicate", COORDINATOR, {"duplicate_of": rng.choice(others).complaint_id})),
                (5, Action("Archive", COORDINATOR, {"reason": "bukan aduan"})),
                (10, None),
            )
        case Status.RETURNED:  # the router re-dispatches; sometimes the coordinator decides first
            return pick(
                (40, Action("DecideOwner", COORDINATOR, {"opd": rng.choice(OPDS), "reason": "tegas"})), (60, None)
            )
        case Status.NEEDS_COORDINATOR:
            return pick(
                (
                    75,
                    Action(
                        "DecideOwner",
                        COORDINATOR,
                        {"opd": rng.choice(OPDS), "reason": "keputusan", "final": rng.random() < 0.7},
                    ),
                ),
                (10, Action("Escalate", COORDINATOR, {"reason": "macet", "level": "sekda"})),
                (10, Action("Dispatch", COORDINATOR, {"opd": rng.choice(OPDS), "reason": "coba lagi"})),
                (5, None),
            )
        case Status.DISPATCHED | Status.REOPENED:
            # The coordinator also finds duplicates after dispatch (most complaints never wait at the desk).
            return pick(
                (50, Action("Acknowledge", officer, {})),
                (20, Action("HandBack", officer, {"reason": "bukan wewenang kami", "suggested_opd": other})),
                (8, Action("Resolve", officer, {"text": "sudah ditangani"})),
                (5, Action("Redispatch", COORDINATOR, {"opd": other, "reason": "salah OPD"})),
                (3, Action("MarkDuplicate", COORDINATOR, {"duplicate_of": rng.choice(others).complaint_id})),
                (14, None),
            )
        case Status.ACKNOWLEDGED | Status.IN_PROGRESS:
            return pick(
                (5, Action("Assign", officer, {"officer": "petugas-lapangan"})),
                (25, Action("PostFollowUp", officer, {"text": "tim sudah ke lokasi"})),
                (35, Action("Resolve", officer, {"text": "sudah diperbaiki"})),
                (8, Action("HandBack", officer, {"reason": "ternyata bukan kami", "suggested_opd": other})),
                (10, Action("RequestInfo", COORDINATOR, {"question": "Ada foto?"})),
                (17, None),
            )
        case Status.WAITING_ON_CITIZEN:
            return pick(
                (70, Action("AddInfo", citizen, {"text": "Di depan SDN 3, foto menyusul"})),
                (10, Action("Archive", COORDINATOR, {"reason": "tidak dijawab"})),
                (20, None),
            )
        case Status.RESOLVED:
            return pick(
                (25, Action("ConfirmResolved", citizen, {})),
                (20, Action("Reopen", citizen, {"reason": "belum beres"})),
                (25, Action("Rate", citizen, {"score": rng.randint(1, 5), "comment": "terima kasih"})),
                (30, None),  # let it close by itself
            )
        case Status.CLOSED:
            return pick((50, Action("Rate", citizen, {"score": rng.randint(1, 5)})), (50, None))
        case _:
            return None


def build_request(method: str, header: api.CommandHeader, fields: dict[str, Any]) -> Any:
    if method in ("Acknowledge", "ConfirmResolved"):
        return header
    if method in ("Resolve", "PostFollowUp", "AddInfo"):
        return api.TextRequest(header=header, **fields)
    if method in ("Reopen", "Archive"):
        return api.ReasonRequest(header=header, **fields)
    if method == "Redispatch":
        return api.DispatchRequest(header=header, **fields)
    return getattr(api, f"{method}Request")(header=header, **fields)


def end_offsets(target: Target) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=target.kafka_bootstrap)
    try:
        partitions = [
            TopicPartition(target.events_topic, p) for p in consumer.partitions_for_topic(target.events_topic)
        ]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


# The consumers whose work makes more events (the router re-dispatches, the notifier records its alerts, the deadline
# clock reads its index) or that `suara replay --check` compares (the views and the timeline).
SETTLING_GROUPS = (
    "suara-router",
    "suara-notifier",
    "suara-casework-deadlines",
    "suara-casework-views",
    "suara-intake-timeline",
)


def behind(target: Target) -> tuple[int, int]:
    """(events in the outbox not yet published, records the settling consumer groups have still to read)."""
    client: MongoClient[dict[str, Any]] = MongoClient(target.mongo_url)
    admin = KafkaAdminClient(bootstrap_servers=target.kafka_bootstrap, client_id="suara-simulate")
    try:
        unpublished = client[target.database]["journal_outbox"].count_documents({})
        ends = end_offsets(target)
        lag = 0
        for group in SETTLING_GROUPS:
            committed = admin.list_group_offsets(group).get(group, {})
            for partition, end in ends.items():
                offset = committed.get(TopicPartition(target.events_topic, partition))
                lag += end - (offset.offset if offset is not None and offset.offset >= 0 else 0)
        return unpublished, lag
    finally:
        admin.close()
        client.close()


def quiesce(
    target: Target, quiet_seconds: float = 5.0, timeout: float = 3600, say: Callable[[str], None] = print
) -> None:
    """Wait until the system has settled: the outbox is empty, the consumers that act or are compared have read the
    whole topic, and nothing new has been written to it for `quiet_seconds`. (A quiet topic alone is not enough: on
    the first 2,000-complaint runs the relay was thousands of events behind while the topic stood still for
    seconds.)"""
    deadline = time.monotonic() + timeout
    last, quiet_since, last_said = end_offsets(target), time.monotonic(), time.monotonic()
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the system never settled in {timeout:.0f}s")
        time.sleep(0.5)
        if time.monotonic() - last_said > 30:  # also while the topic still moves: long settling shows progress
            unpublished, lag = behind(target)
            say(f"  settling: {unpublished} events to publish, {lag} records for the consumers to read")
            last_said = time.monotonic()
        now = end_offsets(target)
        if now != last:
            last, quiet_since = now, time.monotonic()
            continue
        if time.monotonic() - quiet_since < quiet_seconds:
            continue
        unpublished, lag = behind(target)
        if not unpublished and lag <= 0:
            return
        quiet_since = time.monotonic()


def simulate(
    target: Target, n: int, *, seed: int = 5, rounds: int = 14, workers: int = 8, say: Callable[[str], None] = print
) -> Figures:
    """Submit `n` complaints, drive them for `rounds` rounds with the clock moving every other round, let the last
    deadlines pass, wait for quiet, check. The figures; `figures.violations` empty means every check passed."""
    simulation = Simulation(target, seed, workers, say)
    try:
        say(f"submitting {n} complaints ...")
        simulation.submit(n)
        say("waiting until every complaint is routed ...")
        simulation.wait_routed()
        say(f"driving {rounds} rounds of commands ...")
        simulation.run_rounds(rounds)
        say("letting the remaining deadlines pass ...")
        for _ in range(3):
            simulation.advance(10)
        return checked(simulation)
    finally:
        simulation.close()


def checked(simulation: Simulation) -> Figures:
    """Wait until the system has settled, then check every journal stream and run `suara replay --check`."""
    simulation.say("waiting until the system has settled ...")
    quiesce(simulation.target, quiet_seconds=8, say=simulation.say)
    simulation.say("checking every complaint's journal stream ...")
    simulation.check()
    simulation.say("suara replay --check ...")
    simulation.replay_check()
    return simulation.figures


def summary(figures: Figures) -> str:
    lines = [f"{'command':<24}{'tried':>8}{'accepted':>10}{'no-op':>7}  refused by kind"]
    for name in sorted(figures.tried):
        kinds = ", ".join(f"{code} {times}" for code, times in sorted(figures.refused.get(name, Counter()).items()))
        lines.append(f"{name:<24}{figures.tried[name]:>8}{figures.accepted[name]:>10}{figures.noop[name]:>7}  {kinds}")
    lines.append(f"{'total':<24}{sum(figures.tried.values()):>8}{sum(figures.accepted.values()):>10}")
    lines.append("")
    lines.append("events in the journal: " + ", ".join(f"{k} {v}" for k, v in figures.events.most_common()))
    lines.append("final status: " + ", ".join(f"{k} {v}" for k, v in figures.statuses.most_common()))
    lines.append(
        f"deadline firings {figures.deadline_firings}; hand-backs {figures.hand_backs} (at most "
        f"{figures.max_hand_backs_between_decisions} between decisions); reopenings {figures.reopenings}; "
        f"clock steps {figures.clock_steps} (offset {figures.offset_days:.1f} days)"
    )
    lines.append(f"replay --check exit {figures.replay_exit}; violations {len(figures.violations)}")
    lines.extend(f"  VIOLATION {v}" for v in figures.violations[:50])
    return "\n".join(lines)


@contextmanager
def own_stack(database: str, topic: str, *, fresh: bool = True) -> Iterator[Target]:
    """Kafka, FerretDB and the services on the simulation's own ports and state dir, on the test clock; with
    `fresh` False on the state a run left (for `--recheck`)."""
    if fresh:
        shutil.rmtree(STATE, ignore_errors=True)
    env = {
        **os.environ,
        **PORTS,
        **LISTEN,
        "SUARA_STATE_DIR": str(STATE),
        "SUARA_KAFKA_BOOTSTRAP": f"127.0.0.1:{PORTS['SUARA_KAFKA_PORT']}",
        "SUARA_MONGO_URL": f"mongodb://127.0.0.1:{PORTS['SUARA_FERRETDB_PORT']}/",
        "SUARA_MONGO_DB": database,
        "SUARA_EVENTS_TOPIC": topic,
        "SUARA_DEADLETTER_TOPIC": topic.replace("events", "deadletter"),
        "SUARA_TEST_CLOCK": "store",
        "SUARA_DEADLINE_CLOCK_SECONDS": "1",
        "SUARA_LOG_LEVEL": "WARNING",
    }
    infra = [str(REPO / "deploy/local/bin/suara-infra")]
    stack = [str(REPO / "deploy/local/bin/suara-stack")]
    print("starting Kafka, FerretDB and the services for the simulation ...", flush=True)
    subprocess.run([*infra, "start"], env=env, check=True)
    try:
        subprocess.run([*stack, "start"], env=env, check=True)
        yield Target(
            intake=LISTEN["SUARA_INTAKE_LISTEN"],
            casework=LISTEN["SUARA_CASEWORK_LISTEN"],
            kafka_bootstrap=env["SUARA_KAFKA_BOOTSTRAP"],
            mongo_url=env["SUARA_MONGO_URL"],
            database=database,
            events_topic=topic,
            identity_dir=STATE / "identity",
        )
    finally:
        subprocess.run([*stack, "stop"], env=env, check=False)
        subprocess.run([*infra, "stop"], env=env, check=False)


RUN_FILE = STATE / "simulation-run.json"  # which database and topic the run in var/simulate used


def main() -> int:
    """`simulate.py [N]` runs a simulation on a fresh stack; `simulate.py --recheck` starts the stack again on the
    state the last run left, lets it settle and runs the checks again (a run interrupted, or checked too early)."""
    recheck = sys.argv[1:] == ["--recheck"]
    seed = int(os.environ.get("SUARA_SIM_SEED", "5"))
    rounds = int(os.environ.get("SUARA_SIM_ROUNDS", "14"))
    workers = int(os.environ.get("SUARA_SIM_WORKERS", "8"))
    say = lambda line: print(line, flush=True)  # noqa: E731
    begin = time.monotonic()
    if recheck:
        run = json.loads(RUN_FILE.read_text())
        n = int(run["n"])
        with own_stack(run["database"], run["topic"], fresh=False) as target:
            simulation = Simulation(target, seed, workers, say)
            try:
                figures = checked(simulation)
            finally:
                simulation.close()
    else:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("N", "2000"))
        run_id = uuid.uuid4().hex[:8]
        database, topic = f"suara_sim_{run_id}", f"suara.complaints.events.v1.sim-{run_id}"
        with own_stack(database, topic) as target:
            RUN_FILE.write_text(json.dumps({"n": n, "database": database, "topic": topic}) + "\n")
            figures = simulate(target, n, seed=seed, rounds=rounds, workers=workers, say=say)
    figures.seconds["total"] = time.monotonic() - begin
    print(summary(figures))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"simulation-{n}{'-recheck' if recheck else ''}.json"
    report = {"suite": "suara-simulation/1", "seed": seed, "workers": workers, **figures.as_json()}
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {path}; {figures.seconds['total']:.0f} s")
    return 1 if figures.violations else 0


if __name__ == "__main__":
    sys.exit(main())
