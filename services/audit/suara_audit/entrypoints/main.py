"""`suara-audit`: keep the integrity log and serve its export until SIGTERM."""

from __future__ import annotations

import sys

from suara_audit import bootstrap
from suara_audit.settings import AuditSettings
from suara_kit import log as suara_log
from suara_kit.settings import InvalidSetting, MissingSetting


def main() -> int:
    try:
        settings = AuditSettings.from_env()
    except (MissingSetting, InvalidSetting) as error:
        print(f"suara-audit: {error}", file=sys.stderr)
        return 2
    suara_log.configure("suara-audit", settings.common.log_level)
    bootstrap.run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
