"""What every process the runner owns has in common: a name, a pid file, logs, a way to launch it and a probe."""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from .probes import Outcome
from .processes import PidFile

Say = Callable[[str], None]


class Component(ABC):
    name: str
    stop_signal: signal.Signals = signal.SIGTERM

    @property
    @abstractmethod
    def pid_file(self) -> PidFile: ...

    @property
    @abstractmethod
    def logs(self) -> list[Path]:
        """The log files to read when it fails, the most useful first."""

    @property
    @abstractmethod
    def address(self) -> str:
        """Where clients reach it, for progress lines and `status`."""

    @property
    def ports(self) -> list[int]:
        """TCP ports it will listen on: checked free before launching."""
        return []

    def install(self, say: Say) -> None:  # noqa: B027  # most components have nothing to install
        """Fetch or build what it needs into the cache (idempotent)."""

    @abstractmethod
    def launch(self, say: Say) -> int:
        """Start it in the background (it is not running); its pid."""

    @abstractmethod
    def probe(self) -> Outcome: ...
