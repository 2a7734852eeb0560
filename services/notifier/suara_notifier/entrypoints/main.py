"""`suara-notifier`: alert OPD staff of routed complaints until SIGTERM."""

from __future__ import annotations

import sys

from suara_kit.service_main import run_service
from suara_notifier import bootstrap
from suara_notifier.settings import NotifierSettings


def main() -> int:
    return run_service("suara-notifier", NotifierSettings.from_env, bootstrap.run)


if __name__ == "__main__":
    sys.exit(main())
