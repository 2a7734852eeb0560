"""How long one complaint takes to classify: median and p99 of CPU time (thread time, so other processes on a busy
machine do not inflate it) and of wall time, over every corpus text, with the committed model.

    .venv/bin/python libs/suara-routing/bench/classify.py [--rounds 3]

Not a test: it prints figures (docs/routing/README.md records them)."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from suara_routing.artefact import load_routing
from suara_routing.catalogue_files import load_routing_catalogue
from suara_routing.corpus import read_corpus

DATA = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    catalogue = load_routing_catalogue(args.data)
    texts = [i.text for i in read_corpus(args.data / "corpus", catalogue, args.data / "examples.toml")]
    router = load_routing(args.data, catalogue).router
    for text in texts:  # warm up: the character n-gram cache fills as it would in a running router
        router.classify(text)
    cpu: list[int] = []
    wall: list[int] = []
    for _ in range(args.rounds):
        for text in texts:
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            router.classify(text)
            cpu.append(time.thread_time_ns() - c0)
            wall.append(time.perf_counter_ns() - w0)
    cold = load_routing(args.data, catalogue).router  # a fresh router: no word seen yet
    first: list[int] = []
    for text in texts[:500]:
        c0 = time.thread_time_ns()
        cold.classify(text)
        first.append(time.thread_time_ns() - c0)

    def line(name: str, values: list[int]) -> str:
        values = sorted(values)
        p50, p99 = values[len(values) // 2], values[int(len(values) * 0.99)]
        return f"  {name:28} median {p50 / 1e3:6.0f} µs   p99 {p99 / 1e3:6.0f} µs   max {values[-1] / 1e3:7.0f} µs"

    print(
        f"classify() with model {router.version}: {len(cpu)} calls over {len(texts)} corpus texts "
        f"(mean {statistics.mean(len(t) for t in texts):.0f} characters)"
    )
    print(line("CPU time (warm)", cpu))
    print(line("wall time (warm)", wall))
    print(line("CPU time (cold cache, 500)", first))


if __name__ == "__main__":
    main()
