"""`suara-router`: run the routing worker until SIGTERM."""

from __future__ import annotations

import sys

from suara_kit import log as suara_log
from suara_kit.settings import InvalidSetting, MissingSetting
from suara_router import bootstrap
from suara_router.settings import RouterSettings


def main() -> int:
    try:
        settings = RouterSettings.from_env()
    except (MissingSetting, InvalidSetting) as error:
        print(f"suara-router: {error}", file=sys.stderr)
        return 2
    suara_log.configure("suara-router", settings.common.log_level)
    bootstrap.run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
