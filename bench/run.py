"""`make bench`: Suara's throughput and latency on the real broker and store, closed loop and open loop.

Starts its own infrastructure and services (ports 29xxx and 27018, state in var/bench) unless SUARA_BENCH_USE_RUNNING=1,
and calls them with demo users' bearer tokens from the stack's development identity provider (<state>/identity).

1. Closed loop (the figures the README has compared since the first stop): N complaints over gRPC from C concurrent
   clients, wait until every event they cause is in the audit log, read the timestamps the system itself recorded,
   then run Kafka's ProducerPerformance on the same broker. Also the audit log's throughput and checkpoint lag.
2. Open loop (bench/open_loop.py): complaints at fixed rates (10, 50, 100 per second, 60 s each), worked by
   simulated officers over CaseworkService; per rate p50/p99 submit -> dispatched, command latency and relay lag,
   and the highest rate at which p99 submit -> dispatched stays under 1 s.

Writes bench/reports/bench-<time>.json, the closed loop's latency chart beside it (SVG) and the open loop's chart
(PNG, --chart to put it elsewhere, e.g. docs/bench/open-loop.png), and prints a table.
`python bench/audit_verify.py` builds a 100,000-entry export bundle and times suara-verify on it.

Settings (flags override them): SUARA_BENCH_COMPLAINTS (default 2000) and SUARA_BENCH_CONCURRENCY (16) for the
closed loop; SUARA_BENCH_RATES (10,50,100) and SUARA_BENCH_SECONDS (60) for the open loop. A quick check:
    SUARA_BENCH_COMPLAINTS=200 SUARA_BENCH_SECONDS=10 make bench
`make bench` waits for the machine lock (Makefile: MACHINE_LOCK), so the machine is not measured while a test suite
or a simulation runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from figures import load_average, percentiles
from open_loop import Endpoints, OpenLoopSettings, run_open_loop
from pymongo import MongoClient

from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_kit import codec
from suara_kit.identity.dev import DevIdentityProvider

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / "var/bench"
REPORTS = REPO / "bench/reports"
PORTS = {
    "SUARA_KAFKA_PORT": "29092",
    "SUARA_KAFKA_CONTROLLER_PORT": "29093",
    "SUARA_FERRETDB_PORT": "27018",
    "SUARA_SMTP_PORT": "22025",
}
LISTEN = {
    "SUARA_INTAKE_LISTEN": "127.0.0.1:29051",
    "SUARA_ROUTER_HEALTH_LISTEN": "127.0.0.1:29052",
    "SUARA_NOTIFIER_HEALTH_LISTEN": "127.0.0.1:29053",
    "SUARA_AUDIT_LISTEN": "127.0.0.1:29054",
    "SUARA_CASEWORK_LISTEN": "127.0.0.1:29055",
}
SUBMITTER = "integrator-112"
DEMO_USERS = (SUBMITTER, "officer-dpupr", "officer-dlhkp")


def say(line: str) -> None:
    print(line, flush=True)


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-9)
    say(f"  {label}: {done}/{total} ({rate:,.0f}/s)")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--complaints", type=int, default=int(env.get("SUARA_BENCH_COMPLAINTS", "2000")))
    parser.add_argument("--concurrency", type=int, default=int(env.get("SUARA_BENCH_CONCURRENCY", "16")))
    parser.add_argument(
        "--rates",
        type=lambda text: tuple(float(x) for x in text.split(",") if x),
        default=tuple(float(x) for x in env.get("SUARA_BENCH_RATES", "10,50,100").split(",") if x),
        help="open-loop rates, complaints per second, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=float(env.get("SUARA_BENCH_SECONDS", "60")))
    parser.add_argument("--skip-closed", action="store_true", help="only the open loop")
    parser.add_argument("--skip-open", action="store_true", help="only the closed loop")
    parser.add_argument("--skip-kafka", action="store_true", help="no ProducerPerformance baseline")
    parser.add_argument("--chart", type=Path, help="where to write the open loop's PNG (default: beside the report)")
    args = parser.parse_args(argv)
    if args.complaints < 1 or args.concurrency < 1 or args.seconds <= 0 or any(r <= 0 for r in args.rates):
        parser.error("--complaints, --concurrency, --seconds and every rate must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    run_id = uuid.uuid4().hex[:8]
    use_running = os.environ.get("SUARA_BENCH_USE_RUNNING") == "1"
    env = {**os.environ}
    if not use_running:
        shutil.rmtree(STATE, ignore_errors=True)
        env.update(PORTS)
        env.update(LISTEN)
        env.update(
            {
                "SUARA_STATE_DIR": str(STATE),
                "SUARA_KAFKA_BOOTSTRAP": f"127.0.0.1:{PORTS['SUARA_KAFKA_PORT']}",
                "SUARA_MONGO_URL": f"mongodb://127.0.0.1:{PORTS['SUARA_FERRETDB_PORT']}/",
                "SUARA_MONGO_DB": f"suara_bench_{run_id}",
                "SUARA_LOG_LEVEL": "WARNING",
            }
        )
    env.setdefault("SUARA_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    env.setdefault("SUARA_MONGO_URL", "mongodb://127.0.0.1:27017/")
    endpoints = Endpoints(
        intake=env.get("SUARA_INTAKE_LISTEN", "127.0.0.1:15051"),
        casework=env.get("SUARA_CASEWORK_LISTEN", "127.0.0.1:15055"),
    )
    identity = Path(env.get("SUARA_IDENTITY_DIR") or Path(env.get("SUARA_STATE_DIR", REPO / "var/local")) / "identity")
    infra = [str(REPO / "deploy/local/bin/suara-infra")]
    stack = [str(REPO / "deploy/local/bin/suara-stack")]
    report: dict[str, Any] = {
        "suite": "suara-bench/2",
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": load_average(),
        },
    }
    if not use_running:
        say("starting Kafka, FerretDB and the services for the benchmark ...")
        subprocess.run([*infra, "start"], env=env, check=True)
        subprocess.run([*stack, "start"], env=env, check=True)
    try:
        provider = DevIdentityProvider.open(identity)  # made by suara-stack on start
        tokens = {user: provider.mint(user) for user in DEMO_USERS}
        client: MongoClient[dict[str, Any]] = MongoClient(env["SUARA_MONGO_URL"], tz_aware=True)
        database = client[env.get("SUARA_MONGO_DB", "suara")]
        examples = load_examples()
        if not args.skip_closed:
            report["closed_loop"] = measure(database, endpoints.intake, tokens[SUBMITTER], examples, args)
        if not args.skip_open:
            settings = OpenLoopSettings(rates=args.rates, seconds=args.seconds)
            report["open_loop"] = asyncio.run(run_open_loop(settings, endpoints, tokens, examples, database, say))
        if not args.skip_kafka:
            closed = report.get("closed_loop")
            size = closed["envelope_bytes_mean"] if closed else 500
            report["kafka_baseline"] = kafka_baseline(env, infra, 3 * args.complaints, size)
            if closed:
                base = report["kafka_baseline"]["records_per_second"]
                ours = closed["pipeline"]["events_per_second"]
                closed["ratio_to_kafka_producer"] = round(ours / base, 4) if base else None
    finally:
        if not use_running:
            subprocess.run([*stack, "stop"], env=env, check=False)
            subprocess.run([*infra, "stop"], env=env, check=False)
    report["machine"]["load_average_at_end"] = load_average()
    REPORTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = REPORTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    say(f"\nreport: {path}")
    if "closed_loop" in report:
        chart = path.with_suffix(".svg")
        chart.write_text(latency_chart(report["closed_loop"]))
        say(f"closed-loop chart: {chart}")
    if "open_loop" in report:
        from open_loop_chart import draw  # matplotlib: imported only when there is something to draw

        png = args.chart or path.with_name(f"{path.stem}-open-loop.png")
        draw(report["open_loop"], report["machine"], png)
        say(f"open-loop chart: {png}")
    summary(report)
    return 0


def load_examples() -> list[dict[str, Any]]:
    with open(REPO / "data/kota-kediri/examples.toml", "rb") as f:
        examples: list[dict[str, Any]] = tomllib.load(f)["example"]
    return examples


def measure(
    database: Any, intake: str, token: str, examples: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    n, concurrency = args.complaints, args.concurrency
    already_audited = database.audit_log.count_documents({})  # non-zero when measuring a running stack
    already_journaled = database.journal.count_documents({})
    started_at: dict[str, float] = {}
    ack_latency: list[float] = []
    metadata = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(intake) as channel:
        stub = complaints_pb2_grpc.ComplaintServiceStub(channel)

        def one(i: int) -> None:
            case = examples[i % len(examples)]
            request = complaints_pb2.SubmitComplaintRequest(
                idempotency_key=f"bench-{uuid.uuid4()}",
                text=case["text"],
                category=case["category"],
                kelurahan=case["kelurahan"],
                source_channel=4,
            )
            t0 = time.time()
            response = stub.SubmitComplaint(request, timeout=60, metadata=metadata)
            ack_latency.append(time.time() - t0)
            started_at[response.complaint_id] = t0

        say(f"closed loop: submitting {n} complaints from {concurrency} concurrent clients ...")
        load_before = load_average()
        begin = time.monotonic()
        wall_begin = time.time()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for done, _ in enumerate(pool.map(one, range(n)), start=1):
                if done % 250 == 0 or done == n:
                    progress("submitted", done, n, begin)
        submit_seconds = time.monotonic() - begin

    ids = list(started_at)
    say("waiting until every event they caused is in the audit log ...")
    # Each complaint causes ComplaintSubmitted, ComplaintRouted and one StaffNotified per agency alerted (more for
    # emergencies), so "done" is: the journal has at least 3n new events, every one of them is audited, and the
    # journal has been quiet for 5 s (nothing more is coming).
    wait_begin = time.monotonic()
    last_journaled, quiet_since = -1, time.monotonic()
    next_line = 0.0
    while True:
        journaled = database.journal.count_documents({}) - already_journaled
        audited = database.audit_log.count_documents({}) - already_audited
        if journaled != last_journaled:
            last_journaled, quiet_since = journaled, time.monotonic()
        if time.monotonic() >= next_line:
            next_line = time.monotonic() + 5
            progress(f"audited events (of {journaled} recorded)", audited, max(journaled, 3 * n), wait_begin)
        if journaled >= 3 * n and audited >= journaled and time.monotonic() - quiet_since >= 5:
            break
        if time.monotonic() - wait_begin > 1800:
            raise SystemExit(f"gave up: only {audited} of {journaled} events audited after 30 minutes")
        time.sleep(1)

    routed_at: dict[str, float] = {}
    sizes: list[int] = []
    for doc in database.journal.find({}, {"data": 1, "event_type": 1, "complaint_id": 1}):
        data = bytes(doc["data"])
        sizes.append(len(data))
        if doc["event_type"] == "ComplaintRouted":
            routed_at[doc["complaint_id"]] = codec.decode(data).occurred_at.timestamp()
    audited_submitted: dict[str, float] = {}
    audited_last: dict[str, float] = {}
    recorded: dict[int, float] = {}  # leaf index -> when the sequencer recorded it
    ours = set(ids)
    for doc in database.audit_log.find({}, {"complaint_id": 1, "event_type": 1, "recorded_at": 1}):
        if doc.get("complaint_id") not in ours:
            continue
        moment = doc["recorded_at"].timestamp()
        recorded[int(doc["_id"])] = moment
        if doc["event_type"] == "ComplaintSubmitted":
            audited_submitted[doc["complaint_id"]] = moment
        audited_last[doc["complaint_id"]] = max(moment, audited_last.get(doc["complaint_id"], 0.0))
    end = max(audited_last.values())
    pipeline_seconds = end - wall_begin
    events = len(recorded)
    return {
        "complaints": n,
        "concurrency": concurrency,
        "envelope_bytes_mean": round(sum(sizes) / len(sizes)),
        "load_average": {"before": load_before, "after": load_average()},
        "submit": {
            "seconds": round(submit_seconds, 3),
            "complaints_per_second": round(n / submit_seconds, 1),
            "ack_latency": percentiles(ack_latency),
        },
        "pipeline": {
            "seconds": round(pipeline_seconds, 3),
            "events": events,
            "complaints_per_second": round(n / pipeline_seconds, 1),
            "events_per_second": round(events / pipeline_seconds, 1),
            "note": "from the first submit until the last event these complaints caused was in the audit log",
        },
        "audit": audit_figures(database, recorded),
        "latency": {
            "submit_to_routed": percentiles([routed_at[c] - started_at[c] for c in ids if c in routed_at]),
            "submit_to_audited": percentiles([audited_submitted[c] - started_at[c] for c in ids]),
            "submit_to_fully_audited": percentiles([audited_last[c] - started_at[c] for c in ids]),
        },
    }


def audit_figures(database: Any, recorded: dict[int, float]) -> dict[str, Any]:
    """The integrity log's own throughput (leaves per second while it was appending this run's events) and its
    checkpoint lag: for each leaf, the time from being recorded to the first signed checkpoint that covers it."""
    first, last = min(recorded.values()), max(recorded.values())
    signed = sorted(
        (int(d["size"]), d["signed_at"].timestamp())
        for d in database.audit_checkpoints.find({}, {"size": 1, "signed_at": 1})
    )
    lags = []
    for index, at in recorded.items():
        covering = next((when for size, when in signed if size > index), None)
        if covering is not None:
            lags.append(max(0.0, covering - at))
    return {
        "leaves": len(recorded),
        "leaves_per_second": round(len(recorded) / max(last - first, 1e-3), 1),
        "checkpoints": len(signed),
        "checkpoint_lag": percentiles(lags),
        "note": "leaves_per_second: this run's leaves over the time between the first and last being recorded",
    }


PRODUCER_LINE = re.compile(
    r"(?P<records>\d+) records sent, (?P<rps>[\d.]+) records/sec \((?P<mbps>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th, (?P<p95>\d+) ms 95th, "
    r"(?P<p99>\d+) ms 99th"
)


def kafka_baseline(env: dict[str, str], infra: list[str], records: int, record_size: int) -> dict[str, Any]:
    """Kafka's own ProducerPerformance, same broker, same record count and size, acks=all, idempotent."""
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    bootstrap = env["SUARA_KAFKA_BOOTSTRAP"]
    say(f"running Kafka's ProducerPerformance: {records} records of {record_size} bytes ...")
    subprocess.run(
        [
            *infra,
            "kafka-class",
            "org.apache.kafka.tools.TopicCommand",
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            topic,
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [
            *infra,
            "kafka-class",
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            str(records),
            "--record-size",
            str(record_size),
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={bootstrap}",
            "acks=all",
            "enable.idempotence=true",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    last = [line for line in result.stdout.splitlines() if "records sent" in line][-1]
    match = PRODUCER_LINE.search(last)
    if match is None:
        raise SystemExit(f"could not read ProducerPerformance's summary line: {last!r}")
    return {
        "tool": "org.apache.kafka.tools.ProducerPerformance",
        "records": records,
        "record_size": record_size,
        "records_per_second": float(match["rps"]),
        "mb_per_second": float(match["mbps"]),
        "avg_latency_ms": float(match["avg"]),
        "p50_ms": float(match["p50"]),
        "p95_ms": float(match["p95"]),
        "p99_ms": float(match["p99"]),
        "raw": last,
    }


def summary(report: dict[str, Any]) -> None:
    machine = report["machine"]
    start, end = machine["load_average_at_start"], machine["load_average_at_end"]
    say(f"\n{machine['cpus']} CPUs; load average {start['1m']} at the start, {end['1m']} at the end")
    closed = report.get("closed_loop")
    if closed:
        say(f"\nclosed loop: {closed['complaints']} complaints, {closed['concurrency']} concurrent clients")
        say(
            f"  submit:   {closed['submit']['complaints_per_second']:>8} complaints/s (gRPC ack p99 "
            f"{closed['submit']['ack_latency']['p99_ms']} ms)"
        )
        say(f"  pipeline: {closed['pipeline']['events_per_second']:>8} events/s end to end")
        for name, p in closed["latency"].items():
            say(f"  {name:24} p50 {p['p50_ms']:>8} ms  p95 {p['p95_ms']:>8} ms  p99 {p['p99_ms']:>8} ms")
        audit = closed["audit"]
        lag = audit["checkpoint_lag"] or {}
        say(
            f"  audit log: {audit['leaves_per_second']} leaves/s, {audit['checkpoints']} checkpoints; "
            f"checkpoint lag p50 {lag.get('p50_ms')} ms, p99 {lag.get('p99_ms')} ms"
        )
    base = report.get("kafka_baseline")
    if base:
        ratio = closed.get("ratio_to_kafka_producer") if closed else None
        say(f"  Kafka ProducerPerformance: {base['records_per_second']:,.0f} records/s; Suara/Kafka ratio {ratio}")
    opened = report.get("open_loop")
    if opened:
        say("\nopen loop (latencies from the scheduled submit time; p50 / p99 in ms)")
        header = (
            f"  {'rate/s':>6} {'sent':>6} {'late':>5} {'ack':>13} {'->dispatched':>15} {'->on topic':>15} "
            f"{'commands':>13} {'cmds':>5} {'relay lag':>13} {'load':>5}"
        )
        say(header)
        for phase in opened["phases"]:
            say(
                f"  {phase['rate_per_second']:>6g} {phase['acknowledged']:>6} {phase['behind_schedule']['count']:>5} "
                f"{pair(phase['ack_latency']):>13} {pair(phase['submit_to_dispatched']):>15} "
                f"{pair(phase['submit_to_dispatched_on_topic']):>15} {pair(phase['commands']['all']):>13} "
                f"{(phase['commands']['all'] or {}).get('count', 0):>5} {pair(phase['relay_lag']):>13} "
                f"{phase['load_average']['after']['1m']:>5}"
            )
        best = opened["highest_rate_with_p99_dispatched_under_target"]
        target = opened["dispatch_target_ms"] / 1000
        say(f"  highest rate with p99 submit -> dispatched (on the topic) under {target:g} s: {best}")


def pair(block: dict[str, Any] | None) -> str:
    return f"{block['p50_ms']:.0f} / {block['p99_ms']:.0f}" if block else "-"


def latency_chart(closed: dict[str, Any]) -> str:
    """A small self-contained SVG bar chart of the closed loop's latency percentiles (no plotting library needed)."""
    rows = [("submit_acknowledged", closed["submit"]["ack_latency"]), *closed["latency"].items()]
    width, bar_h, gap, left = 760, 14, 10, 190
    top = max(p["p99_ms"] for _, p in rows) or 1.0
    scale = (width - left - 150) / top
    colours = {"p50_ms": "#4c78a8", "p95_ms": "#f58518", "p99_ms": "#e45756"}
    parts, y = [], 40
    for name, p in rows:
        parts.append(f'<text x="10" y="{y + 2 * bar_h}" font-size="13">{name}</text>')
        for i, (key, colour) in enumerate(colours.items()):
            w = p[key] * scale
            yy = y + i * bar_h
            parts.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}"/>')
            parts.append(
                f'<text x="{left + w + 4:.1f}" y="{yy + bar_h - 3}" font-size="11">{key[:3]} {p[key]} ms</text>'
            )
        y += 3 * bar_h + gap
    height = y + 20
    title = (
        f"Suara latency, {closed['complaints']} complaints x {closed['concurrency']} clients; "
        f"{closed['pipeline']['events_per_second']} events/s, "
        f"{closed.get('ratio_to_kafka_producer')} of Kafka's producer"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="14">{title}</text>'
        + "".join(parts)
        + "</svg>\n"
    )


if __name__ == "__main__":
    sys.exit(main())
