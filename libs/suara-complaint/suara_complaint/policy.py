"""Deadlines and caps as configuration: budgets per stage, priority and kind; hand-back caps per category."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from suara_complaint.calendar import WorkingCalendar


class Priority(StrEnum):
    DARURAT = "darurat"  # emergency (Lapor Mbak Wali 112): deadlines in minutes on the wall clock
    TINGGI = "tinggi"
    NORMAL = "normal"


class ResolutionKind(StrEnum):
    """What the coordinator classifies a report as at verification; sets the resolution deadline
    (SP4N-LAPOR!, Permenpan RB 62/2018: information and complaints 5, disputes 14, with a field check 60)."""

    PENGADUAN = "pengaduan"
    INFORMASI = "informasi"
    SENGKETA = "sengketa"
    SENGKETA_LAPANGAN = "sengketa_lapangan"


class BudgetUnit(StrEnum):
    WORKING_DAYS = "working_days"  # counted on the working-day calendar
    MINUTES = "minutes"  # counted on the wall clock (emergencies run around the clock)


@dataclass(frozen=True)
class Budget:
    """How long a stage may take. Recorded on the event that opens the stage, so a later policy change never
    moves a deadline already given."""

    amount: int
    unit: BudgetUnit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"a deadline budget must be positive, got {self.amount} {self.unit}")

    @property
    def span(self) -> timedelta:
        """The budget as working time (a working day counts 24 hours) or wall time."""
        return timedelta(days=self.amount) if self.unit is BudgetUnit.WORKING_DAYS else timedelta(minutes=self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {'working days' if self.unit is BudgetUnit.WORKING_DAYS else 'minutes'}"


def working_days(n: int) -> Budget:
    return Budget(n, BudgetUnit.WORKING_DAYS)


def minutes(n: int) -> Budget:
    return Budget(n, BudgetUnit.MINUTES)


_WD, _MIN = BudgetUnit.WORKING_DAYS, BudgetUnit.MINUTES


class Stage(StrEnum):
    DISPATCH = "dispatch"  # the coordinator (or router) verifies and dispatches
    ACKNOWLEDGE = "acknowledge"  # the OPD acknowledges
    RESOLVE = "resolve"  # the OPD resolves
    AUTO_CLOSE = "auto_close"  # the citizen may answer a resolution; then it closes by itself


class EscalationLevel(StrEnum):
    OPD_HEAD = "opd_head"
    COORDINATOR = "coordinator"
    SEKDA = "sekda"  # Sekretaris Daerah, the city's top civil servant


ESCALATION_ORDER: tuple[EscalationLevel, ...] = (
    EscalationLevel.OPD_HEAD,
    EscalationLevel.COORDINATOR,
    EscalationLevel.SEKDA,
)

# Who hears next when a stage's deadline passes: an OPD's lateness goes to its head, then the coordinator,
# then the Sekda; the coordinator's own lateness goes to the desk's supervisor, then the Sekda.
ESCALATION_LADDER: Mapping[Stage, tuple[EscalationLevel, ...]] = {
    Stage.DISPATCH: (EscalationLevel.COORDINATOR, EscalationLevel.SEKDA),
    Stage.ACKNOWLEDGE: ESCALATION_ORDER,
    Stage.RESOLVE: ESCALATION_ORDER,
    Stage.AUTO_CLOSE: (),
}


@dataclass(frozen=True)
class Policy:
    """Every number a complaint's deadlines and caps use. Defaults: SP4N-LAPOR! where a source gives the number
    (data/kota-kediri/categories.toml [sla], S-76/S-77), otherwise OUR OWN choice, marked so; keep them
    configurable (Permenpan RB 5/2025 replaced the 2018 rules and its numbers are unchecked)."""

    dispatch: Budget = Budget(3, _WD)  # SP4N-LAPOR!: verify and forward within 3 working days
    emergency_dispatch: Budget = Budget(15, _MIN)  # OUR OWN: 112 operators forward at once
    acknowledge: Budget = Budget(3, _WD)  # SP4N-LAPOR! 2018: first response <= 3 days
    tinggi_acknowledge: Budget = Budget(1, _WD)  # OUR OWN
    emergency_acknowledge: Budget = Budget(60, _MIN)  # categories.toml darurat_minutes (OUR OWN there too)
    resolve_by_kind: Mapping[ResolutionKind, Budget] = field(
        default_factory=lambda: {
            ResolutionKind.PENGADUAN: Budget(5, _WD),  # SP4N-LAPOR!: follow-up within 5 working days
            ResolutionKind.INFORMASI: Budget(5, _WD),
            ResolutionKind.SENGKETA: Budget(14, _WD),
            ResolutionKind.SENGKETA_LAPANGAN: Budget(60, _WD),
        }
    )
    tinggi_resolve: Budget = Budget(3, _WD)  # categories.toml tinggi_working_days: caps the kind's budget
    emergency_resolve: Budget = Budget(1, _WD)  # OUR OWN
    auto_close: Budget = Budget(10, _WD)  # SP4N-LAPOR!: closes 10 working days after a follow-up, no reply
    reopen_window: Budget = Budget(10, _WD)  # issue 5: the citizen may reopen within 10 working days
    warning_share: float = 0.75  # OUR OWN: warn when three quarters of a stage's time is used
    escalation_interval: Budget = Budget(1, _WD)  # OUR OWN: next level one working day after the previous
    emergency_escalation_interval: Budget = Budget(30, _MIN)  # OUR OWN
    hand_back_cap: int = 2  # issue 5 §3: after 2 hand-backs the coordinator decides
    hand_back_cap_by_category: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.warning_share < 1:
            raise ValueError(f"warning_share must be between 0 and 1 (exclusive), got {self.warning_share}")
        for category, cap in {"(default)": self.hand_back_cap, **self.hand_back_cap_by_category}.items():
            if cap < 1:
                raise ValueError(f"hand-back cap for {category} must be at least 1, got {cap}")
        missing = set(ResolutionKind) - set(self.resolve_by_kind)
        if missing:
            raise ValueError(f"resolve_by_kind lacks {', '.join(sorted(missing))}")

    def cap_for(self, category: str) -> int:
        return self.hand_back_cap_by_category.get(category, self.hand_back_cap)

    def dispatch_budget(self, priority: Priority) -> Budget:
        return self.emergency_dispatch if priority is Priority.DARURAT else self.dispatch

    def acknowledge_budget(self, priority: Priority) -> Budget:
        if priority is Priority.DARURAT:
            return self.emergency_acknowledge
        return self.tinggi_acknowledge if priority is Priority.TINGGI else self.acknowledge

    def resolve_budget(self, priority: Priority, kind: ResolutionKind) -> Budget:
        if priority is Priority.DARURAT:
            return self.emergency_resolve
        budget = self.resolve_by_kind[kind]
        if priority is Priority.TINGGI and self.tinggi_resolve.span < budget.span:
            return self.tinggi_resolve
        return budget

    def interval_for(self, budget: Budget) -> Budget:
        return self.emergency_escalation_interval if budget.unit is BudgetUnit.MINUTES else self.escalation_interval


def policy_from_sla_table(sla: Mapping[str, object], **overrides: object) -> Policy:
    """A Policy from the catalogue's [sla] table (data/kota-kediri/categories.toml); keys it does not have keep
    their defaults. `overrides` are Policy fields (e.g. hand_back_cap_by_category)."""

    def days(key: str) -> Budget | None:
        value = sla.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"[sla] {key} must be a positive integer, got {value!r}")
        return working_days(value)

    fields: dict[str, object] = {}
    if (v := days("dispatch_working_days")) is not None:
        fields["dispatch"] = v
    if (v := days("tinggi_working_days")) is not None:
        fields["tinggi_resolve"] = v
    if (v := days("auto_close_working_days")) is not None:
        fields["auto_close"] = v
    if (v := days("normal_working_days")) is not None:
        defaults = Policy().resolve_by_kind
        fields["resolve_by_kind"] = {
            **defaults,
            ResolutionKind.PENGADUAN: v,
            ResolutionKind.INFORMASI: v,
        }
    darurat = sla.get("darurat_minutes")
    if darurat is not None:
        if not isinstance(darurat, int) or isinstance(darurat, bool) or darurat <= 0:
            raise ValueError(f"[sla] darurat_minutes must be a positive integer, got {darurat!r}")
        fields["emergency_acknowledge"] = minutes(darurat)
    fields.update(overrides)
    return Policy(**fields)  # type: ignore[arg-type]  # field types are checked by Policy itself


@dataclass(frozen=True)
class Context:
    """What a decision may consult besides the complaint's own state: the time, the rules' numbers and the
    calendar. Handlers build it; decide never reads a clock."""

    now: datetime
    policy: Policy
    calendar: WorkingCalendar

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Context.now must be timezone-aware")


def load_policy(categories_toml: Path) -> Policy:
    """The Policy from the catalogue file's [sla] table (data/kota-kediri/categories.toml) and each category's
    optional `hand_back_cap`. Raises ValueError naming the file and key when a value is unusable."""
    with categories_toml.open("rb") as file:
        catalogue = tomllib.load(file)
    caps = {
        str(category["code"]): int(category["hand_back_cap"])
        for category in catalogue.get("category", [])
        if "hand_back_cap" in category
    }
    try:
        return policy_from_sla_table(catalogue.get("sla", {}), hand_back_cap_by_category=caps)
    except ValueError as error:
        raise ValueError(f"{categories_toml}: {error}") from None


def load_rules(catalogue_dir: Path, calendar_dir: Path) -> tuple[Policy, WorkingCalendar]:
    """The deadline rules every writer and read model of a deployment decides with: the catalogue's categories.toml
    ([sla], hand-back caps) and the holiday files. The same files give the same due times everywhere."""
    from suara_complaint.calendar import load_calendar

    return load_policy(catalogue_dir / "categories.toml"), load_calendar(calendar_dir)
