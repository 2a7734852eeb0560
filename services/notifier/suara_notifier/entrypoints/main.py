"""`suara-notifier`: alert OPD staff of routed complaints until SIGTERM."""

from __future__ import annotations

import sys

from suara_kit import log as suara_log
from suara_kit.settings import InvalidSetting, MissingSetting
from suara_notifier import bootstrap
from suara_notifier.settings import NotifierSettings


def main() -> int:
    try:
        settings = NotifierSettings.from_env()
    except (MissingSetting, InvalidSetting) as error:
        print(f"suara-notifier: {error}", file=sys.stderr)
        return 2
    suara_log.configure("suara-notifier", settings.common.log_level)
    bootstrap.run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
