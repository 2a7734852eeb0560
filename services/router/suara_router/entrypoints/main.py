"""`suara-router`: run the routing worker until SIGTERM."""

from __future__ import annotations

import sys

from suara_kit.service_main import run_service
from suara_router import bootstrap
from suara_router.adapters.text_classifier import RoutingModelUnusable
from suara_router.settings import RouterSettings


def main() -> int:
    try:
        return run_service("suara-router", RouterSettings.from_env, bootstrap.run)
    except RoutingModelUnusable as error:  # before any connection is opened: the router does not start
        print(f"suara-router: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
