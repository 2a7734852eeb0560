"""The open-loop run: complaints submitted at a fixed rate whatever the answers, worked by simulated officers.

A closed loop (N clients, each waiting for its answer before the next call) slows down with the system it measures,
so it hides queueing: the latency it reports is that of a load the system chose. Here the submits are scheduled at
`rate` per second from one asyncio loop (no cap on calls in flight); a submit whose call starts more than
`late_after_s` after its scheduled time is counted as behind schedule (the load generator, not Suara, fell behind),
and every latency is measured from the *scheduled* time, so a slow answer cannot hide the next one's wait.

The officers of DPUPR and DLHKP (demo users `officer-dpupr`, `officer-dlhkp`; `officers_per_opd` workers each) take
every complaint submitted for their OPD by id from the submit receipt, read it with GetComplaint until their view
says `dispatched` to them (backing off 0.5 s, 1 s, 2 s, 4 s …), then: Acknowledge, PostFollowUp, Resolve, one step
per think time; a `hand_back_share` of them is handed back first with the other OPD suggested, whose officer then
finds it re-dispatched by the router and works it through. Each command carries the version of the officer's last
reply (ABORTED: retry on the current version it names, with the same idempotency key).

Per rate it reports, from the timestamps the system recorded in the journal: submit -> dispatched (the
ComplaintRouted event's time, and the time the relay had it on the topic), the command latencies, and the relay's
lag (journal `published_at` - `appended_at`) of every event appended during the phase.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from figures import load_average, percentiles
from grpc import aio

from suara.v1 import casework_pb2 as api
from suara.v1 import casework_pb2_grpc as api_grpc
from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_kit import codec

# The OPDs with a demo officer (data/kota-kediri/demo-users.toml), and whom each suggests on a hand-back.
OFFICERS = {"DPUPR": "officer-dpupr", "DLHKP": "officer-dlhkp"}
OTHER_OPD = {"DPUPR": "DLHKP", "DLHKP": "DPUPR"}
SUBMITTER = "integrator-112"
CURRENT_VERSION = re.compile(r"version (\d+)")


@dataclass(frozen=True)
class OpenLoopSettings:
    rates: tuple[float, ...] = (10, 50, 100)
    seconds: float = 60.0
    officers_per_opd: int = 4
    hand_back_share: float = 0.1
    first_look_s: float = 1.0  # an officer looks at a new complaint this long after the receipt
    think_s: float = 0.5  # between one officer step and the next on the same complaint
    drain_s: float = 120.0  # after the last submit: how long to wait for routing and the officers to finish
    late_after_s: float = 0.1
    dispatch_target_s: float = 1.0  # "the highest rate at which p99 submit -> dispatched stays under this"
    seed: int = 5


@dataclass(frozen=True)
class Endpoints:
    intake: str
    casework: str


@dataclass
class Receipt:
    complaint_id: str
    scheduled: float
    acknowledged: float
    expected_opd: str


@dataclass(order=True)
class Work:
    ready_at: float
    order: int
    complaint_id: str = field(compare=False)
    opd: str = field(compare=False)
    step: str = field(compare=False)  # pick_up, follow_up, resolve
    version: int = field(compare=False, default=0)
    handed_back: bool = field(compare=False, default=False)
    polls: int = field(compare=False, default=0)


class WorkQueue:
    """One OPD's complaints to work, soonest ready first; a worker waits until its item is ready."""

    def __init__(self) -> None:
        self._heap: list[Work] = []
        self._ready = asyncio.Event()

    def put(self, work: Work) -> None:
        heapq.heappush(self._heap, work)
        self._ready.set()

    async def take(self) -> Work:
        while not self._heap:
            self._ready.clear()
            await self._ready.wait()
        work = heapq.heappop(self._heap)
        wait = work.ready_at - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        return work

    def __len__(self) -> int:
        return len(self._heap)


class Phase:
    """One rate: schedule the submits, run the officers, drain, then read what the system recorded."""

    def __init__(
        self,
        rate: float,
        settings: OpenLoopSettings,
        endpoints: Endpoints,
        tokens: dict[str, str],
        examples: list[dict[str, Any]],
        database: Any,
    ) -> None:
        self.rate = rate
        self.settings = settings
        self.endpoints = endpoints
        self.metadata = {user: (("authorization", f"Bearer {token}"),) for user, token in tokens.items()}
        self.examples = examples
        self.database = database
        self.rng = random.Random(f"{settings.seed}:{rate}")
        self.order = itertools.count()
        self.receipts: dict[str, Receipt] = {}
        self.lateness: list[float] = []
        self.submit_errors: Counter[str] = Counter()
        self.command_latency: defaultdict[str, list[float]] = defaultdict(list)
        self.command_errors: Counter[str] = Counter()
        self.aborted_retries = 0
        self.read_latency: list[float] = []
        self.view_polls = 0
        self.seen_dispatched: list[float] = []  # submit -> the officer's first read showing it dispatched to them
        self.handed_back_at: dict[str, float] = {}
        self.outstanding = 0  # complaints in officers' hands, not yet resolved or dropped
        self.resolved = 0
        self.dropped = 0
        self.give_up_at = float("inf")
        self.queues = {opd: WorkQueue() for opd in OFFICERS}

    async def run(self, say: Callable[[str], None]) -> dict[str, Any]:
        n = round(self.rate * self.settings.seconds)
        load_before = load_average()
        routed_before = await asyncio.to_thread(self._routed_published)
        since = datetime.now(UTC)
        async with (
            aio.insecure_channel(self.endpoints.intake) as intake,
            aio.insecure_channel(self.endpoints.casework) as casework,
        ):
            self.intake = complaints_pb2_grpc.ComplaintServiceStub(intake)
            self.casework = api_grpc.CaseworkServiceStub(casework)
            officers = [
                asyncio.create_task(self._officer(opd))
                for opd in OFFICERS
                for _ in range(self.settings.officers_per_opd)
            ]
            say(f"open loop at {self.rate:g} complaints/s for {self.settings.seconds:g} s ({n} complaints) ...")
            begin = time.time() + 0.2
            submits = []
            next_progress = begin + 5
            for i in range(n):
                scheduled = begin + i / self.rate
                delay = scheduled - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                submits.append(asyncio.create_task(self._submit(i, scheduled)))
                if time.time() >= next_progress:
                    next_progress += 5
                    say(self._progress(f"{i + 1}/{n} scheduled"))
            await asyncio.gather(*submits)
            last_submit = time.time()
            submit_seconds = last_submit - begin
            self.give_up_at = last_submit + self.settings.drain_s
            say(self._progress(f"all {n} submitted in {submit_seconds:.1f} s; draining"))
            while True:
                routed = await asyncio.to_thread(self._routed_published) - routed_before
                if routed >= len(self.receipts) and self.outstanding == 0:
                    break
                if time.time() > self.give_up_at:
                    say(f"  gave up draining after {self.settings.drain_s:g} s: {routed} routed on the topic")
                    break
                say(self._progress(f"draining: {routed}/{len(self.receipts)} routed on the topic"))
                await asyncio.sleep(2)
            for task in officers:
                task.cancel()
            await asyncio.gather(*officers, return_exceptions=True)
        await asyncio.to_thread(self._wait_for_outbox, say)
        recorded = await asyncio.to_thread(self._recorded, since)
        return self._report(n, submit_seconds, recorded, load_before)

    # --- load ---

    async def _submit(self, i: int, scheduled: float) -> None:
        self.lateness.append(max(0.0, time.time() - scheduled))
        case = self.examples[i % len(self.examples)]
        request = complaints_pb2.SubmitComplaintRequest(
            idempotency_key=f"bench-open-{uuid.uuid4()}",
            text=case["text"],
            category=case["category"],
            kelurahan=case["kelurahan"],
            source_channel=4,
        )
        try:
            response = await self.intake.SubmitComplaint(request, timeout=60, metadata=self.metadata[SUBMITTER])
        except aio.AioRpcError as error:
            self.submit_errors[error.code().name] += 1
            return
        acknowledged = time.time()
        self.receipts[response.complaint_id] = Receipt(response.complaint_id, scheduled, acknowledged, case["opd"])
        if case["opd"] in OFFICERS:
            self.outstanding += 1
            self._queue(response.complaint_id, case["opd"], "pick_up", acknowledged + self.settings.first_look_s)

    def _queue(self, complaint_id: str, opd: str, step: str, ready_at: float, **fields: Any) -> None:
        self.queues[opd].put(Work(ready_at, next(self.order), complaint_id, opd, step, **fields))

    async def _officer(self, opd: str) -> None:
        while True:
            work = await self.queues[opd].take()
            try:
                await self._step(work)
            except aio.AioRpcError as error:  # a read failed: look again later, as a person would
                self.command_errors[f"GetComplaint:{error.code().name}"] += 1
                self._retry_later(work)

    async def _step(self, work: Work) -> None:
        think = time.time() + self.settings.think_s
        if work.step == "follow_up":
            reply = await self._command(work, "PostFollowUp", text="Tim sudah dijadwalkan ke lokasi.")
            if reply is not None:
                self._queue(work.complaint_id, work.opd, "resolve", think, version=reply.version)
            return
        if work.step == "resolve":
            reply = await self._command(work, "Resolve", text="Sudah ditangani, mohon dicek.")
            if reply is not None:
                self.resolved += 1
                self.outstanding -= 1
            return
        view = await self._view(work)
        if view is None or view.status != "dispatched" or view.opd != work.opd:
            self._retry_later(work)
            return
        if not work.handed_back:
            self.seen_dispatched.append(time.time() - self.receipts[work.complaint_id].scheduled)
        work.version = view.version
        if not work.handed_back and self.rng.random() < self.settings.hand_back_share:
            other = OTHER_OPD[work.opd]
            reply = await self._command(work, "HandBack", reason="bukan wewenang kami", suggested_opd=other)
            if reply is not None:
                self.handed_back_at[work.complaint_id] = time.time()
                ready_at = time.time() + self.settings.first_look_s
                self._queue(work.complaint_id, other, "pick_up", ready_at, handed_back=True)
            return
        reply = await self._command(work, "Acknowledge")
        if reply is not None:
            self._queue(work.complaint_id, work.opd, "follow_up", think, version=reply.version)

    def _retry_later(self, work: Work) -> None:
        if time.time() > self.give_up_at:
            self.dropped += 1
            self.outstanding -= 1
            return
        work.polls += 1
        self._queue(
            work.complaint_id,
            work.opd,
            work.step,
            time.time() + min(4.0, 0.5 * 2 ** (work.polls - 1)),
            version=work.version,
            handed_back=work.handed_back,
            polls=work.polls,
        )

    async def _view(self, work: Work) -> api.ComplaintView | None:
        self.view_polls += 1
        started = time.time()
        try:
            request = api.GetComplaintRequest(reference=work.complaint_id)
            view = await self.casework.GetComplaint(request, timeout=30, metadata=self.metadata[OFFICERS[work.opd]])
        except aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.NOT_FOUND:  # not (yet) this OPD's complaint in its view
                return None
            raise
        finally:
            self.read_latency.append(time.time() - started)
        return view

    async def _command(self, work: Work, method: str, **fields: Any) -> api.CommandReply | None:
        """Send one command on the version the officer last saw; on ABORTED retry on the version it names, same key."""
        key = f"bench-{uuid.uuid4()}"
        version = work.version
        for _attempt in range(5):
            header = api.CommandHeader(complaint_id=work.complaint_id, expected_version=version, idempotency_key=key)
            if method == "Acknowledge":
                request: Any = header
            elif method in ("PostFollowUp", "Resolve"):
                request = api.TextRequest(header=header, **fields)
            else:
                request = api.HandBackRequest(header=header, **fields)
            started = time.time()
            try:
                reply = await getattr(self.casework, method)(
                    request, timeout=30, metadata=self.metadata[OFFICERS[work.opd]]
                )
            except aio.AioRpcError as error:
                self.command_latency[method].append(time.time() - started)
                current = CURRENT_VERSION.search(error.details() or "")
                if error.code() is grpc.StatusCode.ABORTED and current:
                    # The complaint moved on since the officer's version, usually by a notification the view had
                    # not yet shown (the view lags the journal by the relay and the projector): act on the current
                    # version ABORTED names, as a client shows "it changed" and lets the officer confirm.
                    self.aborted_retries += 1
                    version = int(current[1])
                    continue
                self.command_errors[f"{method}:{error.code().name}"] += 1
                self.dropped += 1
                self.outstanding -= 1
                return None
            self.command_latency[method].append(time.time() - started)
            return reply
        self.command_errors[f"{method}:ABORTED"] += 1
        self.dropped += 1
        self.outstanding -= 1
        return None

    def _progress(self, what: str) -> str:
        commands = sum(len(v) for v in self.command_latency.values())
        late = sum(1 for x in self.lateness if x > self.settings.late_after_s)
        return (
            f"  {self.rate:g}/s: {what}; {len(self.receipts)} acknowledged, {late} behind schedule, "
            f"{sum(self.submit_errors.values())} failed; officers: {commands} commands, {self.resolved} resolved, "
            f"{self.outstanding} in hand"
        )

    # --- what the system recorded ---

    def _routed_published(self) -> int:
        return int(self.database.journal.count_documents({"event_type": "ComplaintRouted", "published": True}))

    def _wait_for_outbox(self, say: Callable[[str], None]) -> None:
        deadline = time.monotonic() + 60
        while (pending := self.database.journal_outbox.count_documents({})) and time.monotonic() < deadline:
            say(f"  waiting for the relay: {pending} events in the outbox")
            time.sleep(2)

    def _recorded(self, since: datetime) -> list[dict[str, Any]]:
        fields = {"complaint_id": 1, "event_type": 1, "appended_at": 1, "published_at": 1, "data": 1}
        return [d for d in self.database.journal.find({"appended_at": {"$gte": since}}, fields)]

    def _report(
        self, n: int, submit_seconds: float, recorded: list[dict[str, Any]], load_before: dict[str, float]
    ) -> dict[str, Any]:
        decided, on_topic, redispatched, relay_lag = [], [], [], []
        at_desk = 0
        events: Counter[str] = Counter()
        routed: set[str] = set()
        for doc in recorded:
            complaint_id = doc["complaint_id"]
            receipt = self.receipts.get(complaint_id)
            published = doc.get("published_at")
            if published is not None:
                relay_lag.append((published - doc["appended_at"]).total_seconds())
            if receipt is None:
                continue
            events[doc["event_type"]] += 1
            if doc["event_type"] == "ComplaintRouted":
                event = codec.decode(bytes(doc["data"]))
                if getattr(event.payload, "needs_coordinator", False):
                    at_desk += 1  # on the coordinator's desk: not dispatched by routing
                    continue
                routed.add(complaint_id)
                decided.append(event.occurred_at.timestamp() - receipt.scheduled)
                if published is not None:
                    on_topic.append(published.timestamp() - receipt.scheduled)
            elif doc["event_type"] == "Lifecycle.ComplaintDispatched" and complaint_id in self.handed_back_at:
                event = codec.decode(bytes(doc["data"]))
                redispatched.append(event.occurred_at.timestamp() - self.handed_back_at[complaint_id])
        late = [x for x in self.lateness if x > self.settings.late_after_s]
        all_commands = [x for values in self.command_latency.values() for x in values]
        return {
            "rate_per_second": self.rate,
            "seconds": self.settings.seconds,
            "scheduled": n,
            "acknowledged": len(self.receipts),
            "submit_errors": dict(self.submit_errors),
            "achieved_rate_per_second": round(n / max(submit_seconds, 1e-9), 2),
            "behind_schedule": {
                "late_after_ms": self.settings.late_after_s * 1000,
                "count": len(late),
                "lateness": percentiles(self.lateness),
            },
            "ack_latency": percentiles([r.acknowledged - r.scheduled for r in self.receipts.values()]),
            "submit_to_dispatched": percentiles(decided),
            "submit_to_dispatched_on_topic": percentiles(on_topic),
            "dispatched": len(routed),
            "at_coordinator_desk": at_desk,
            "not_routed": len(self.receipts) - len(routed) - at_desk,
            "officer_saw_dispatched": percentiles(self.seen_dispatched),
            "commands": {"all": percentiles(all_commands)}
            | {name: percentiles(values) for name, values in sorted(self.command_latency.items())},
            "command_errors": dict(self.command_errors),
            "aborted_retries": self.aborted_retries,
            "get_complaint": percentiles(self.read_latency),
            "hand_back_to_redispatched": percentiles(redispatched),
            "officers": {
                "per_opd": self.settings.officers_per_opd,
                "complaints_taken": self.resolved + self.dropped + self.outstanding,
                "resolved": self.resolved,
                "handed_back": len(self.handed_back_at),
                "dropped_or_unfinished": self.dropped + self.outstanding,
                "view_reads": self.view_polls,
            },
            "relay_lag": percentiles(relay_lag),
            "events": dict(sorted(events.items())),
            "load_average": {"before": load_before, "after": load_average()},
        }


async def run_open_loop(
    settings: OpenLoopSettings,
    endpoints: Endpoints,
    tokens: dict[str, str],
    examples: list[dict[str, Any]],
    database: Any,
    say: Callable[[str], None],
) -> dict[str, Any]:
    phases = []
    for rate in settings.rates:
        phase = Phase(rate, settings, endpoints, tokens, examples, database)
        phases.append(await phase.run(say))
        say(summary_line(phases[-1]))
    return {
        "settings": {
            "rates_per_second": list(settings.rates),
            "seconds_per_rate": settings.seconds,
            "officers_per_opd": settings.officers_per_opd,
            "hand_back_share": settings.hand_back_share,
            "first_look_s": settings.first_look_s,
            "think_s": settings.think_s,
            "drain_s": settings.drain_s,
            "note": "latencies from each submit's scheduled time; submit -> dispatched: the ComplaintRouted event's "
            "time (decided) and its journal published_at (on the topic); relay lag: published_at - appended_at",
        },
        "phases": phases,
        "highest_rate_with_p99_dispatched_under_target": highest_rate(phases, settings.dispatch_target_s),
        "dispatch_target_ms": settings.dispatch_target_s * 1000,
    }


def highest_rate(phases: list[dict[str, Any]], target_s: float) -> float | None:
    """The highest rate whose every complaint was dispatched (or put on the desk) and whose p99 submit ->
    dispatched on the topic stayed under the target; None when no rate did."""
    good = [
        p["rate_per_second"]
        for p in phases
        if p["submit_to_dispatched_on_topic"]
        and p["submit_to_dispatched_on_topic"]["p99_ms"] < target_s * 1000
        and p["not_routed"] == 0
        and not p["submit_errors"]
    ]
    return max(good) if good else None


def summary_line(phase: dict[str, Any]) -> str:
    def p(block: dict[str, Any] | None) -> str:
        return f"p50 {block['p50_ms']:,.0f} / p99 {block['p99_ms']:,.0f} ms" if block else "-"

    return (
        f"  {phase['rate_per_second']:g}/s: dispatched (on topic) {p(phase['submit_to_dispatched_on_topic'])}; "
        f"commands {p(phase['commands']['all'])}; relay lag {p(phase['relay_lag'])}; "
        f"{phase['behind_schedule']['count']} behind schedule"
    )
