"""`python -m suara_routing.tools prepare|train|eval|bench`: the corpus split and pairs, training, the test report,
and the one-complaint latency benchmark."""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from suara_routing.artefact import load_routing, publish
from suara_routing.catalogue_files import load_routing_catalogue
from suara_routing.corpus import (
    Item,
    Pair,
    corpus_hash,
    make_pairs,
    read_corpus,
    read_pairs,
    update_splits,
    write_pairs,
)
from suara_routing.evaluation import confusion_png, decide, duplicate_metrics, routing_metrics, score_pairs, write_json

SPLITS_FILE = "splits.tsv"
PAIRS_FILE = "duplicate-pairs.jsonl"


def prepare(data: Path) -> tuple[list[Item], dict[str, str], list[Pair]]:
    catalogue = load_routing_catalogue(data)
    corpus_dir = data / "corpus"
    items = read_corpus(corpus_dir, catalogue, data / "examples.toml")
    splits = update_splits(items, corpus_dir / SPLITS_FILE)
    pairs = make_pairs(items, splits, catalogue)
    write_pairs(pairs, corpus_dir / PAIRS_FILE)
    counts = {s: sum(1 for i in items if splits[i.id] == s) for s in ("train", "dev", "test")}
    print(
        f"corpus: {len(items)} items {counts}; "
        f"{len(pairs)} duplicate pairs ({sum(p.duplicate for p in pairs)} positive)"
    )
    return items, splits, pairs


def train_command(data: Path) -> int:
    from suara_routing.training import SETTINGS, train

    items, splits, pairs = prepare(data)
    catalogue = load_routing_catalogue(data)
    by_id = {i.id: i for i in items}
    train_items = [i for i in items if splits[i.id] == "train"]
    dev = [i for i in items if splits[i.id] == "dev"]
    trained = train(train_items, dev, [p for p in pairs if p.split in ("train", "dev")], by_id, catalogue)
    card = publish(
        trained.model,
        data,
        {
            "training_data_sha256": corpus_hash(items, splits),
            "fitted_on": "train+dev (thresholds from out-of-fold decisions of a seeded k-fold cross-validation)",
            "items": {
                "train": len(train_items),
                "dev": len(dev),
                "test": sum(1 for i in items if splits[i.id] == "test"),
            },
            "settings": SETTINGS,
            "javanese_lexicon": trained.model.metadata["javanese"],
            "policy": trained.model.metadata["policy"],
            "thresholds": trained.model.metadata["thresholds"],
            "duplicates": trained.model.metadata["duplicates"],
            "dev": trained.dev,
            "features": trained.model.features.width,
            "trained_with": {"python": platform.python_version(), **_versions()},
        },
    )
    print(f"model {card['model']}  sha256 {card['sha256']}  ({card['size_bytes']} bytes, {card['features']} features)")
    print(f"training data sha256 {card['training_data_sha256']}")
    print(f"thresholds (chosen by cross-validation on train + dev): {card['thresholds']}")
    print(f"duplicates: {card['duplicates']}")
    return 0


def _versions() -> dict[str, str]:
    import numpy
    import sklearn

    return {"numpy": numpy.__version__, "scikit-learn": sklearn.__version__}


def eval_command(data: Path, out: Path) -> int:
    catalogue = load_routing_catalogue(data)
    items = read_corpus(data / "corpus", catalogue, data / "examples.toml")
    splits = update_splits(items, data / "corpus" / SPLITS_FILE)
    pairs = read_pairs(data / "corpus" / PAIRS_FILE)
    loaded = load_routing(data, catalogue)
    test = [i for i in items if splits[i.id] == "test"]
    decisions = decide(loaded.router, test)
    metrics = routing_metrics(test, decisions)
    by_id = {i.id: i for i in items}
    texts = {i.id: loaded.router.normalise(i.text) for i in test}
    test_pairs = [p for p in pairs if p.split == "test"]
    scored = score_pairs(
        loaded.duplicates, test_pairs, by_id, dict(zip((i.id for i in test), decisions, strict=True)), texts
    )
    duplicates = duplicate_metrics(scored, loaded.duplicates.threshold)
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "model_version": loaded.version,
        "model_sha256": loaded.card["sha256"],
        "training_data_sha256": loaded.card["training_data_sha256"],
        "split": "test",
        "thresholds": loaded.card["thresholds"],
        "cross_validation": loaded.card.get("dev", {}).get("cross_validation", {}),
        "routing": metrics,
        "duplicates": {**duplicates, "method": loaded.duplicates.method},
        "wrong": [
            {"id": i.id, "true": i.opd, "predicted": d.opd, "auto": d.auto, "confidence": d.confidence}
            for i, d in zip(test, decisions, strict=True)
            if i.opd != d.opd
        ],
    }
    write_json(report, out / "eval-test.json")
    confusion_png(
        test,
        decisions,
        out / "confusion-test.png",
        f"Suara routing {loaded.version}: test split, {len(test)} complaints (row = true agency)",
    )
    (out / "eval-test.md").write_text(markdown(report), encoding="utf-8")
    print(summary(report))
    return 0


TARGETS = {"auto_precision": 0.95, "coverage": 0.80, "emergency_recall": 1.0, "outside_recall": 0.90}


def summary(report: dict[str, Any]) -> str:
    r, d = report["routing"], report["duplicates"]

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.1f}%"

    def mark(name: str, value: float | None) -> str:
        if name not in TARGETS:
            return ""
        met = "met" if value is not None and value >= TARGETS[name] else "NOT met"
        return f"  (target ≥ {pct(TARGETS[name])}: {met})"

    lines = [f"model {report['model_version']} on the test split ({r['items']} complaints)"]
    for name, label in (
        ("opd_accuracy", "top-1 OPD accuracy"),
        ("auto_precision", "auto-routed precision"),
        ("coverage", "coverage (auto-routed share)"),
        ("coverage_of_city_matters", "coverage of city matters"),
        ("emergency_recall", f"emergency recall ({r['emergencies']})"),
        ("emergency_precision", "emergency precision"),
        ("outside_recall", f"outside-authority recall ({r['outside_items']})"),
        ("outside_agency_accuracy", "outside agency named right"),
        ("outside_precision", "outside-authority precision"),
        ("category_accuracy", "category accuracy"),
        ("kelurahan_accuracy", "kelurahan recognised (labelled)"),
    ):
        lines.append(f"  {label:34} {pct(r[name]):>7}{mark(name, r[name])}")
    ok = d["precision"] is not None and d["precision"] >= 0.9
    lines.append(
        f"  {'duplicate pairs: precision':34} {pct(d['precision']):>7}  (target ≥ 90.0%: {'met' if ok else 'NOT met'})"
    )
    lines.append(
        f"  {'duplicate pairs: recall':34} {pct(d['recall']):>7}  ({d['positives']} positive of {d['pairs']} pairs)"
    )
    if r["emergencies_missed"]:
        lines.append(f"  emergencies missed: {', '.join(r['emergencies_missed'])}")
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    r = report["routing"]
    rows = "\n".join(
        f"| {code} | {v['support']} | {_p(v['precision'])} | {_p(v['recall'])} |" for code, v in r["per_opd"].items()
    )
    return f"""# Routing evaluation on the test split

Written by `make eval-routing` (do not edit). Model `{report["model_version"]}` (SHA-256 `{report["model_sha256"]}`),
trained on data `{report["training_data_sha256"][:16]}…`; thresholds (chosen by cross-validation on train + dev):
`{report["thresholds"]}`.

```
{summary(report)}
```

![confusion matrix](confusion-test.png)

## Per agency

| agency | test items | precision | recall |
| --- | ---: | ---: | ---: |
{rows}

Wrongly routed test items: {len(report["wrong"])} (listed in `eval-test.json`).

## What cross-validation expected

The thresholds were chosen on out-of-fold decisions of a seeded {report["cross_validation"].get("folds", "?")}-fold
cross-validation over train + dev ({report["cross_validation"].get("items", "?")} complaints); the published model is
fitted on train + dev. Cross-validated figures, for comparison with the test figures above:

```
{cross_validated(report["cross_validation"].get("routing"))}
```
"""


def cross_validated(r: dict[str, Any] | None) -> str:
    if not r:
        return "(not recorded in the model card)"
    rows = []
    for name, label in (
        ("opd_accuracy", "top-1 OPD accuracy"),
        ("auto_precision", "auto-routed precision"),
        ("coverage", "coverage (auto-routed share)"),
        ("coverage_of_city_matters", "coverage of city matters"),
        ("emergency_recall", "emergency recall"),
        ("emergency_precision", "emergency precision"),
        ("outside_recall", "outside-authority recall"),
        ("outside_precision", "outside-authority precision"),
        ("category_accuracy", "category accuracy"),
    ):
        value = r.get(name)
        rows.append(f"  {label:34} {'n/a' if value is None else f'{100 * value:.1f}%':>7}")
    return "\n".join(rows)


def _p(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def bench_command(data: Path, rounds: int) -> int:
    catalogue = load_routing_catalogue(data)
    items = read_corpus(data / "corpus", catalogue, data / "examples.toml")
    router = load_routing(data, catalogue).router
    texts = [i.text for i in items]
    for text in texts[:50]:
        router.classify(text)  # warm up
    timings = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            router.classify(text)
            timings.append(time.perf_counter_ns() - start)
    timings.sort()
    print(
        f"classify one complaint ({len(timings)} calls over {len(texts)} corpus texts,"
        f" mean {statistics.mean(len(t) for t in texts):.0f} chars):"
        f" median {timings[len(timings) // 2] / 1e3:.0f} µs, p99 {timings[int(len(timings) * 0.99)] / 1e3:.0f} µs,"
        f" max {timings[-1] / 1e3:.0f} µs"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suara-routing", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/kota-kediri"), help="the catalogue folder")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="validate the corpus, extend the split file, write the duplicate pairs")
    commands.add_parser("train", help="prepare, train on train, choose thresholds on dev, publish the model")
    evaluate = commands.add_parser("eval", help="measure the published model on the test split")
    evaluate.add_argument("--out", type=Path, default=Path("docs/routing"))
    bench = commands.add_parser("bench", help="time classifying one complaint")
    bench.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.data)
        return 0
    if args.command == "train":
        return train_command(args.data)
    if args.command == "eval":
        return eval_command(args.data, args.out)
    return bench_command(args.data, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
