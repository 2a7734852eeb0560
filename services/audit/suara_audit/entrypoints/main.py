"""`suara-audit`: keep the integrity log and serve its export until SIGTERM."""

from __future__ import annotations

import sys

from suara_audit import bootstrap
from suara_audit.settings import AuditSettings
from suara_kit.service_main import run_service


def main() -> int:
    return run_service("suara-audit", AuditSettings.from_env, bootstrap.run)


if __name__ == "__main__":
    sys.exit(main())
