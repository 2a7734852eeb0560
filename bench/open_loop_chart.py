"""The open loop's chart: latency percentiles per rate (submit -> dispatched, commands, relay lag), as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: write files only

import matplotlib.pyplot as plt

SERIES = (
    ("submit_to_dispatched_on_topic", "submit → dispatched (on the topic)", "#e45756"),
    ("submit_to_dispatched", "submit → dispatched (router decided)", "#f58518"),
    ("ack_latency", "submit acknowledged", "#72b7b2"),
    ("commands", "officer command (Acknowledge, PostFollowUp, Resolve, HandBack)", "#4c78a8"),
    ("relay_lag", "relay lag (appended → published)", "#54a24b"),
)


def draw(open_loop: dict[str, Any], machine: dict[str, Any], path: Path) -> None:
    phases = open_loop["phases"]
    rates = [p["rate_per_second"] for p in phases]
    figure, axes = plt.subplots(figsize=(9, 5.5), dpi=110)
    for key, label, colour in SERIES:
        blocks = [(p[key]["all"] if key == "commands" else p[key]) for p in phases]
        points = [(r, b) for r, b in zip(rates, blocks, strict=True) if b]
        if not points:
            continue
        xs = [r for r, _ in points]
        axes.plot(xs, [b["p99_ms"] for _, b in points], "-o", color=colour, label=f"{label}: p99")
        axes.plot(xs, [b["p50_ms"] for _, b in points], "--", marker=".", color=colour, alpha=0.7, label="p50")
    target = open_loop["dispatch_target_ms"]
    axes.axhline(target, color="grey", linewidth=0.8, linestyle=":")
    axes.text(rates[0], target * 1.08, f"{target / 1000:g} s", color="grey", fontsize=8)
    axes.set_yscale("log")
    axes.set_xticks(rates)
    axes.set_xlabel("offered load, complaints per second (open loop)")
    axes.set_ylabel("latency, ms (log scale)")
    seconds = open_loop["settings"]["seconds_per_rate"]
    load = machine.get("load_average_at_start", {}).get("1m")
    axes.set_title(
        f"Suara open loop: {seconds:g} s per rate, {machine.get('cpus')} shared cores (load average {load} at start)",
        fontsize=10,
    )
    axes.grid(True, which="both", linewidth=0.3)
    axes.legend(fontsize=7, loc="upper left", ncol=1)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
