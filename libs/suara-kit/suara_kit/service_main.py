"""The shape every service's main shares: read settings (failing fast, by name), set up logging, run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol, TypeVar

from suara_kit import log as suara_log
from suara_kit.settings import CommonSettings, InvalidSetting, MissingSetting


class HasCommon(Protocol):
    @property
    def common(self) -> CommonSettings: ...


S = TypeVar("S", bound=HasCommon)


def run_service(name: str, load_settings: Callable[[], S], run: Callable[[S], object]) -> int:
    """Exit code 2, with the variable named, when configuration is missing or invalid."""
    try:
        settings = load_settings()
    except (MissingSetting, InvalidSetting) as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    suara_log.configure(name, settings.common.log_level)
    run(settings)
    return 0
