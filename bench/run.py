"""`make bench`: Suara's throughput and latency on the real broker and store, next to Kafka's own producer.

Starts its own infrastructure and services (ports 29xxx and 27018, state in var/bench) unless SUARA_BENCH_USE_RUNNING=1,
submits N complaints over gRPC from C concurrent clients, waits until every one is routed, notified and
audited, reads the timestamps the system itself recorded, then runs Kafka's ProducerPerformance tool on the
same broker. Writes bench/reports/bench-<time>.json and a latency chart next to it (SVG).

Also reports the audit log's throughput and checkpoint lag (recorded -> covered by a signed checkpoint).
`python bench/audit_verify.py` builds a 100,000-entry export bundle and times suara-verify on it.

Settings: SUARA_BENCH_COMPLAINTS (default 2000), SUARA_BENCH_CONCURRENCY (default 16).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
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
from pymongo import MongoClient

from suara.v1 import complaints_pb2, complaints_pb2_grpc
from suara_kit import codec

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
}


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-9)
    print(f"  {label}: {done}/{total} ({rate:,.0f}/s)", flush=True)


def main() -> int:
    n = int(os.environ.get("SUARA_BENCH_COMPLAINTS", "2000"))
    concurrency = int(os.environ.get("SUARA_BENCH_CONCURRENCY", "16"))
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
    intake = env.get("SUARA_INTAKE_LISTEN", "127.0.0.1:15051")
    infra = [str(REPO / "deploy/local/bin/suara-infra")]
    stack = [str(REPO / "deploy/local/bin/suara-stack")]
    if not use_running:
        print("starting Kafka, FerretDB and the services for the benchmark ...", flush=True)
        subprocess.run([*infra, "start"], env=env, check=True)
        subprocess.run([*stack, "start"], env=env, check=True)
    try:
        report = measure(env, intake, n, concurrency)
        report["kafka_baseline"] = kafka_baseline(env, infra, n * 3, report["envelope_bytes_mean"])
        ours = report["pipeline"]["events_per_second"]
        base = report["kafka_baseline"]["records_per_second"]
        report["ratio_to_kafka_producer"] = round(ours / base, 4) if base else None
    finally:
        if not use_running:
            subprocess.run([*stack, "stop"], env=env, check=False)
            subprocess.run([*infra, "stop"], env=env, check=False)
    REPORTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = REPORTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    chart = path.with_suffix(".svg")
    chart.write_text(latency_chart(report))
    summary(report)
    print(f"report: {path}\nchart:  {chart}")
    return 0


def measure(env: dict[str, str], intake: str, n: int, concurrency: int) -> dict[str, Any]:
    with open(REPO / "data/kota-kediri/examples.toml", "rb") as f:
        examples = tomllib.load(f)["example"]
    database = MongoClient(env["SUARA_MONGO_URL"], tz_aware=True)[env.get("SUARA_MONGO_DB", "suara")]
    already_audited = database.audit_log.count_documents({})  # non-zero when measuring a running stack
    started_at: dict[str, float] = {}
    ack_latency: list[float] = []
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
            response = stub.SubmitComplaint(request, timeout=60)
            ack_latency.append(time.time() - t0)
            started_at[response.complaint_id] = t0

        print(f"submitting {n} complaints from {concurrency} concurrent clients ...", flush=True)
        begin = time.monotonic()
        wall_begin = time.time()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for done, _ in enumerate(pool.map(one, range(n)), start=1):
                if done % 250 == 0 or done == n:
                    progress("submitted", done, n, begin)
        submit_seconds = time.monotonic() - begin

    ids = list(started_at)
    print("waiting until every complaint is routed, notified and audited ...", flush=True)
    wait_begin = time.monotonic()
    expected = 3 * n
    shown = -1
    while True:
        # Counting the whole log is cheap; what was there before we started is not ours.
        audited = database.audit_log.count_documents({}) - already_audited
        if audited // 300 != shown or audited >= expected:
            shown = audited // 300
            progress("audited events", min(audited, expected), expected, wait_begin)
        if audited >= expected:
            break
        if time.monotonic() - wait_begin > 1800:
            raise SystemExit(f"gave up: only {audited} of {expected} events audited after 30 minutes")
        time.sleep(2)

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
    for doc in database.audit_log.find(
        {"complaint_id": {"$in": ids}}, {"complaint_id": 1, "event_type": 1, "recorded_at": 1}
    ):
        moment = doc["recorded_at"].timestamp()
        recorded[int(doc["_id"])] = moment
        if doc["event_type"] == "ComplaintSubmitted":
            audited_submitted[doc["complaint_id"]] = moment
        audited_last[doc["complaint_id"]] = max(moment, audited_last.get(doc["complaint_id"], 0.0))
    end = max(audited_last.values())
    pipeline_seconds = end - wall_begin
    audit = audit_figures(database, recorded)
    return {
        "suite": "suara-bench/1",
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "complaints": n,
        "concurrency": concurrency,
        "envelope_bytes_mean": round(statistics.fmean(sizes)),
        "submit": {
            "seconds": round(submit_seconds, 3),
            "complaints_per_second": round(n / submit_seconds, 1),
            "ack_latency": percentiles(ack_latency),
        },
        "pipeline": {
            "seconds": round(pipeline_seconds, 3),
            "complaints_per_second": round(n / pipeline_seconds, 1),
            "events_per_second": round(3 * n / pipeline_seconds, 1),
            "note": "from the first submit until the last of the 3n events was in the audit log",
        },
        "audit": audit,
        "latency": {
            "submit_to_routed": percentiles([routed_at[c] - started_at[c] for c in ids]),
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
        "checkpoint_lag": percentiles(lags) if lags else None,
        "note": "leaves_per_second: this run's leaves over the time between the first and last being recorded",
    }


def kafka_baseline(env: dict[str, str], infra: list[str], records: int, record_size: int) -> dict[str, Any]:
    """Kafka's own ProducerPerformance, same broker, same record count and size, acks=all, idempotent."""
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    bootstrap = env["SUARA_KAFKA_BOOTSTRAP"]
    print(f"running Kafka's ProducerPerformance: {records} records of {record_size} bytes ...", flush=True)
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
    numbers = [float(x) for x in re.findall(r"([0-9]+(?:\.[0-9]+)?)", last)]
    return {
        "tool": "org.apache.kafka.tools.ProducerPerformance",
        "records": records,
        "record_size": record_size,
        "records_per_second": numbers[1],
        "mb_per_second": numbers[2],
        "avg_latency_ms": numbers[3],
        "p50_ms": numbers[5],
        "p95_ms": numbers[6],
        "p99_ms": numbers[7],
        "raw": last,
    }


def summary(report: dict[str, Any]) -> None:
    print(f"\n{report['complaints']} complaints, {report['concurrency']} concurrent clients")
    print(
        f"  submit:   {report['submit']['complaints_per_second']:>8} complaints/s (gRPC ack p99 "
        f"{report['submit']['ack_latency']['p99_ms']} ms)"
    )
    print(f"  pipeline: {report['pipeline']['events_per_second']:>8} events/s end to end")
    for name, p in report["latency"].items():
        print(f"  {name:24} p50 {p['p50_ms']:>8} ms  p95 {p['p95_ms']:>8} ms  p99 {p['p99_ms']:>8} ms")
    audit = report["audit"]
    lag = audit["checkpoint_lag"] or {}
    print(
        f"  audit log: {audit['leaves_per_second']} leaves/s, {audit['checkpoints']} checkpoints; "
        f"checkpoint lag p50 {lag.get('p50_ms')} ms, p99 {lag.get('p99_ms')} ms"
    )
    base = report["kafka_baseline"]
    print(
        f"  Kafka ProducerPerformance: {base['records_per_second']:,.0f} records/s; "
        f"Suara/Kafka ratio {report['ratio_to_kafka_producer']}"
    )


def latency_chart(report: dict[str, Any]) -> str:
    """A small self-contained SVG bar chart of the latency percentiles (no plotting library needed)."""
    rows = [("submit_acknowledged", report["submit"]["ack_latency"]), *report["latency"].items()]
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
        f"Suara latency, {report['complaints']} complaints x {report['concurrency']} clients; "
        f"{report['pipeline']['events_per_second']} events/s, {report['ratio_to_kafka_producer']} of Kafka's producer"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="14">{title}</text>'
        + "".join(parts)
        + "</svg>\n"
    )


if __name__ == "__main__":
    sys.exit(main())
