"""`suara-intake`: serve the intake API (default), or rebuild the timeline read model from the log."""

from __future__ import annotations

import argparse
import sys

from suara_intake import bootstrap
from suara_intake.settings import IntakeSettings
from suara_kit.service_main import run_service


def rebuild_timeline(settings: IntakeSettings) -> None:
    count = bootstrap.rebuild_timeline(settings)
    print(f"timeline cleared; {count} partitions will be replayed from the beginning at the next start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suara-intake", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "rebuild-timeline"])
    args = parser.parse_args(argv)
    run = rebuild_timeline if args.command == "rebuild-timeline" else bootstrap.run
    return run_service("suara-intake", IntakeSettings.from_env, run)


if __name__ == "__main__":
    sys.exit(main())
