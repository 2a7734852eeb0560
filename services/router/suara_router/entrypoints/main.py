"""`suara-router`: run the routing worker until SIGTERM."""

from __future__ import annotations

import sys

from suara_kit.service_main import run_service
from suara_router import bootstrap
from suara_router.settings import RouterSettings


def main() -> int:
    return run_service("suara-router", RouterSettings.from_env, bootstrap.run)


if __name__ == "__main__":
    sys.exit(main())
