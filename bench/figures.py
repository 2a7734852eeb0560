"""Distribution summaries for the benchmark's reports: percentiles of latencies given in seconds, in milliseconds."""

from __future__ import annotations

import os
import statistics


def percentiles(values: list[float]) -> dict[str, float] | None:
    """p50/p95/p99/max/mean in ms of latencies in seconds (nearest rank); None when there are none."""
    if not values:
        return None
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def load_average() -> dict[str, float]:
    """The machine's 1/5/15-minute load average (it is shared: the report says how busy it was)."""
    one, five, fifteen = os.getloadavg()
    return {"1m": round(one, 2), "5m": round(five, 2), "15m": round(fifteen, 2)}
