"""`suara-casework`: serve the casework API, its read models and the deadline clock."""

from __future__ import annotations

import sys

from suara_casework import bootstrap
from suara_casework.settings import CaseworkSettings
from suara_kit.service_main import run_service


def main(argv: list[str] | None = None) -> int:
    del argv  # no arguments: everything comes from the environment (see settings.py)
    return run_service("suara-casework", CaseworkSettings.from_env, bootstrap.run)


if __name__ == "__main__":
    sys.exit(main())
