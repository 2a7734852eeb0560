"""Time suara-verify on a 100,000-entry bundle (checkpoints every 1,000 entries) made by the test-only writer.

.venv/bin/python libs/suara-verify/tools/bench_100k.py [--entries N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bundlewriter import Key, Log

from suara_verify.bundle import verify_bundle


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--every", type=int, default=1_000, help="a checkpoint every N entries")
    p.add_argument("--keep", type=Path, help="write the bundle here instead of a temporary folder")
    args = p.parse_args()

    key = Key("kedirikota.go.id/suara/audit")
    log = Log([key])
    started = time.perf_counter()
    while log.size < args.entries:
        log.extend(min(args.every, args.entries - log.size))
        log.sign_checkpoint()
    with tempfile.TemporaryDirectory() as tmp:
        out = log.export((args.keep or Path(tmp)) / "bundle")
        built = time.perf_counter() - started
        size_mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
        print(f"built {args.entries} entries ({size_mb:.1f} MB, {len(log.checkpoints)} checkpoints) in {built:.1f} s")

        started, cpu = time.perf_counter(), time.process_time()
        verdict = verify_bundle(out, [key.vkey])
        api, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"verify_bundle: valid={verdict.valid} in {api:.2f} s wall, {cpu:.2f} s CPU "
            f"({args.entries / api:,.0f} entries/s)"
        )

        started = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "suara_verify", str(out), "--vkey", key.vkey], capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        print(f"suara-verify (process, wall clock): exit {cli.returncode} in {wall:.2f} s")
        print(cli.stdout.strip())
        return 0 if verdict.valid and cli.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
