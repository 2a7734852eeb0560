"""Measuring the router on a split: OPD accuracy, auto-routed precision and coverage, per-OPD figures, emergency
and outside-authority recall, duplicate-pair precision and recall; the report (JSON, Markdown, confusion PNG)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from suara_routing.corpus import Item, Pair
from suara_routing.decision import Classification, TextRouter
from suara_routing.duplicates import DuplicateFinder, Report


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def routing_metrics(items: list[Item], decisions: list[Classification]) -> dict[str, Any]:
    n = len(items)
    correct = [d.opd == i.opd for i, d in zip(items, decisions, strict=True)]
    auto = [d.auto for d in decisions]
    auto_correct = sum(c and a for c, a in zip(correct, auto, strict=True))
    inside = [k for k, i in enumerate(items) if i.outside_authority is None]
    emergencies = [k for k, i in enumerate(items) if i.emergency]
    flagged = [k for k, d in enumerate(decisions) if d.emergency]
    outside_true = [k for k, i in enumerate(items) if i.outside_authority]
    outside_flagged = [k for k, d in enumerate(decisions) if d.outside_authority]
    labelled_area = [k for k, i in enumerate(items) if i.kelurahan]
    per_opd: dict[str, dict[str, Any]] = {}
    for code in sorted({i.opd for i in items} | {d.opd for d in decisions}):
        tp = sum(1 for i, d in zip(items, decisions, strict=True) if i.opd == code and d.opd == code)
        support = sum(1 for i in items if i.opd == code)
        predicted = sum(1 for d in decisions if d.opd == code)
        per_opd[code] = {"support": support, "precision": ratio(tp, predicted), "recall": ratio(tp, support)}
    missed = [items[k].id for k in emergencies if not decisions[k].emergency]
    return {
        "items": n,
        "opd_accuracy": ratio(sum(correct), n),
        "category_accuracy": ratio(sum(i.category == d.category for i, d in zip(items, decisions, strict=True)), n),
        "auto_precision": ratio(auto_correct, sum(auto)),
        "coverage": ratio(sum(auto), n),
        "coverage_of_city_matters": ratio(sum(auto[k] for k in inside), len(inside)),
        "emergency_recall": ratio(sum(decisions[k].emergency for k in emergencies), len(emergencies)),
        "emergency_precision": ratio(sum(items[k].emergency for k in flagged), len(flagged)),
        "emergencies": len(emergencies),
        "emergencies_missed": missed,
        "outside_recall": ratio(
            sum(decisions[k].outside_authority is not None for k in outside_true), len(outside_true)
        ),
        "outside_agency_accuracy": ratio(
            sum(decisions[k].outside_authority == items[k].outside_authority for k in outside_true), len(outside_true)
        ),
        "outside_precision": ratio(
            sum(items[k].outside_authority is not None for k in outside_flagged), len(outside_flagged)
        ),
        "outside_items": len(outside_true),
        "kelurahan_accuracy": ratio(
            sum(decisions[k].kelurahan == items[k].kelurahan for k in labelled_area), len(labelled_area)
        ),
        "per_opd": per_opd,
    }


@dataclass(frozen=True)
class PairScore:
    pair: Pair
    candidate: bool
    similarity: float


def score_pairs(
    finder: DuplicateFinder,
    pairs: list[Pair],
    items: dict[str, Item],
    decisions: dict[str, Classification],
    texts: dict[str, str],
) -> list[PairScore]:
    """Each pair as the router would see it: categories as the router decided them, the pair's kelurahan (every
    complaint has one at intake), the synthetic report times. `texts` holds the normalised texts."""
    scored = []
    for pair in pairs:
        reports = []
        for side, at in ((pair.a, pair.a_time), (pair.b, pair.b_time)):
            same_place = pair.kind != "random_negative"
            kelurahan = (pair.kelurahan or "?") if same_place else (items[side].kelurahan or f"?{side}")
            reports.append(Report(side, texts[side], kelurahan, decisions[side].category, datetime.fromisoformat(at)))
        earlier, new = sorted(reports, key=lambda r: r.received_at)
        candidate = finder.candidate(new, earlier)
        scored.append(PairScore(pair, candidate, finder.similarity(earlier.normalised_text, new.normalised_text)))
    return scored


def flagged_at(scored: list[PairScore], threshold: float) -> list[bool]:
    """Which pairs the finder would flag at `threshold` (a candidate whose similarity reaches it)."""
    return [s.candidate and s.similarity >= threshold for s in scored]


def duplicate_metrics(scored: list[PairScore], threshold: float) -> dict[str, Any]:
    flags = flagged_at(scored, threshold)
    tp = sum(f and s.pair.duplicate for f, s in zip(flags, scored, strict=True))
    return {
        "pairs": len(scored),
        "positives": sum(s.pair.duplicate for s in scored),
        "by_kind": dict(Counter(s.pair.kind for s in scored)),
        "precision": ratio(tp, sum(flags)),
        "recall": ratio(tp, sum(s.pair.duplicate for s in scored)),
        "threshold": threshold,
    }


def decide(router: TextRouter, items: list[Item]) -> list[Classification]:
    return [router.classify(item.text) for item in items]


def confusion_png(items: list[Item], decisions: list[Classification], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted({i.opd for i in items} | {d.opd for d in decisions})
    index = {code: k for k, code in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for item, decision in zip(items, decisions, strict=True):
        matrix[index[item.opd], index[decision.opd]] += 1
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix, dtype=float), where=rows > 0)
    size = max(8.0, 0.38 * len(labels) + 3)
    fig, ax = plt.subplots(figsize=(size, size * 0.9), dpi=110)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), [f"{code} ({rows[k, 0]})" for k, code in enumerate(labels)], fontsize=8)
    for r in range(len(labels)):
        for c in range(len(labels)):
            if matrix[r, c]:
                ax.text(
                    c,
                    r,
                    str(matrix[r, c]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if share[r, c] > 0.6 else "black",
                )
    ax.set_xlabel("predicted agency")
    ax.set_ylabel("true agency (items)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
