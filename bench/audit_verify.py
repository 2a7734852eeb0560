"""`python bench/audit_verify.py [N]`: build an N-entry export bundle (default 100,000) and time suara-verify on it.

The bundle is made by the audit service's own code (sequencer, checkpointer, export) on in-memory stores, from real
encoded events of N/3 complaints, with a checkpoint every 1,000 entries; then `suara-verify` runs on it as an auditor
runs it (a separate process). Writes bench/reports/audit-verify-<time>.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "services/audit/tests"))

from audit_log_fixture import Log  # noqa: E402  # the test wiring of the service's own use cases
from events import complaints  # noqa: E402


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    log = Log(every=1000)
    assert log.sequencer.acquire()
    started = time.perf_counter()
    batch = 999  # 333 complaints' events per append
    while (size := log.store.head().size) < n:
        log.sequencer.append(complaints(min(batch, n - size) // 3 or 1)[: n - size])
        if log.checkpointer.tick() is None and log.store.head().size >= n:
            log.sign_now()
    log.sign_now()
    appended = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        bundle = log.export(Path(folder) / "bundle")
        exported = time.perf_counter() - started - appended
        megabytes = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file()) / 1e6
        begin = time.perf_counter()
        result = subprocess.run(
            [str(REPO / ".venv/bin/suara-verify"), str(bundle), "--vkey", log.vkey],
            capture_output=True,
            text=True,
        )
        verify_seconds = time.perf_counter() - begin
    report = {
        "suite": "suara-audit-verify/1",
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "entries": log.store.head().size,
        "checkpoints": len(list(log.checkpoints.between(0, n))),
        "bundle_megabytes": round(megabytes, 1),
        "append_seconds_in_memory": round(appended, 2),
        "append_entries_per_second_in_memory": round(log.store.head().size / appended),
        "export_seconds_in_memory": round(exported, 2),
        "suara_verify_seconds": round(verify_seconds, 2),
        "suara_verify_exit_code": result.returncode,
        "suara_verify_output": result.stdout.strip().splitlines()[:2],
    }
    reports = REPO / "bench/reports"
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"audit-verify-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if result.returncode == 0 else 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
