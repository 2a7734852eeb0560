"""After a hand-back (Bukan Wewenang): which OPD gets the complaint next. Pure.

Never an OPD that already handed this complaint back (issue 5 §3: no ping-pong), never a body outside the city's
authority, never the coordinator's desk (the desk is where the complaint waits when no OPD is left). In order: the
OPD the refusing one suggested, then the routing model's alternatives for the complaint's text, best first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class NextOpd:
    opd: str
    why: str


def next_opd(
    *,
    suggested: str,
    alternatives: Iterable[str],
    refused_by: Iterable[str],
    dispatchable: Callable[[str], bool],
) -> NextOpd | None:
    refused = set(refused_by)
    candidates = [(suggested, "suggested by the OPD that handed it back")] if suggested else []
    candidates += [(opd, "the routing model's next suggestion") for opd in alternatives]
    seen: set[str] = set()
    for opd, why in candidates:
        if opd in seen or opd in refused or not dispatchable(opd):
            continue
        seen.add(opd)
        return NextOpd(opd, why)
    return None
