"""`suara-intake`: serve the intake API (default), or rebuild the timeline read model from the log."""

from __future__ import annotations

import argparse
import sys

from suara_intake import bootstrap
from suara_intake.settings import IntakeSettings
from suara_kit import log as suara_log
from suara_kit.settings import InvalidSetting, MissingSetting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suara-intake", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "rebuild-timeline"])
    args = parser.parse_args(argv)
    try:
        settings = IntakeSettings.from_env()
    except (MissingSetting, InvalidSetting) as error:
        print(f"suara-intake: {error}", file=sys.stderr)
        return 2
    suara_log.configure("suara-intake", settings.common.log_level)
    if args.command == "rebuild-timeline":
        count = bootstrap.rebuild_timeline(settings)
        print(f"timeline cleared; {count} partitions will be replayed from the beginning at the next start")
        return 0
    bootstrap.run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
