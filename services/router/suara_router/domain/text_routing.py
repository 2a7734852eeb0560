"""Turning what the text router read into the routing decision: which agency gets the complaint now, its priority
and deadline, who else is alerted, and what the coordinator's desk must do. Pure: no model, no store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from suara_kit.events import CategorySource, Priority
from suara_router.domain.routing import Agency, Catalogue
from suara_routing.decision import Classification


class Classifier(Protocol):
    """Reads a complaint (suara_routing's TextRouter behind an adapter; a scripted fake in tests)."""

    @property
    def version(self) -> str: ...

    def classify(self, text: str, category: str | None, kelurahan: str | None) -> Classification: ...


@dataclass(frozen=True)
class RecentComplaint:
    """What the router keeps of a routed complaint to recognise a near-duplicate of it later."""

    complaint_id: str
    tracking_number: str
    kelurahan: str  # name: the integrator's, else the one the text names ("" when neither)
    category: str
    received_at: datetime
    normalised_text: str


@dataclass(frozen=True)
class Duplicate:
    of: RecentComplaint
    similarity: float


@dataclass(frozen=True)
class ComplaintToRead:
    text: str
    category: str  # "" when the integrator gave none
    kelurahan: str  # name, as intake recorded it
    received_at: datetime


@dataclass(frozen=True)
class TextRoutingDecision:
    agency: Agency  # who has the complaint now: the OPD, the first responder, or the coordinator's desk
    priority: Priority
    due_at: datetime
    rule_id: str
    reason: str
    category: str
    category_source: CategorySource
    classifier_category: str  # the classifier's top category when it disagrees with a given one, else ""
    confidence: float
    classification: Classification
    emergency: bool
    emergency_kind: str
    responders: tuple[str, ...]
    outside_authority: str
    needs_coordinator: bool
    coordinator_desk: str
    duplicate: Duplicate | None
    kelurahan_in_text: str


def decide(
    complaint: ComplaintToRead,
    classification: Classification,
    *,
    duplicate: Duplicate | None,
    kelurahan_in_text: str | None,
    catalogue: Catalogue,
    coordinator_desk: str,
    unknown_category: str = "",
) -> TextRoutingDecision:
    """The decision, by these rules (decision 0080):
    - an emergency (whatever the category) is darurat, with the minute deadline; every responder the catalogue
      names for its kind is alerted; the category's agency has the complaint (the first responder when that
      agency is outside the city); a body outside the city that must also act (the police for an accident) is
      forwarded by the coordinator's desk;
    - otherwise a complaint the classifier is not sure of, an outside matter, or a kelurahan matter without a known
      kelurahan goes to the coordinator's desk (needs_coordinator), never to a city OPD and never to "lainnya";
    - otherwise it is dispatched to the agency the catalogue's rule names.
    A possible duplicate is flagged and the complaint is routed as it would be anyway: never merged."""
    c = classification
    rules = catalogue.categories.get(c.category, catalogue.fallback)
    priority = Priority.DARURAT if c.emergency else rules.priority
    outside = c.outside_authority or (c.outside_responder if c.emergency else None) or ""
    responders = c.responders if c.emergency else ()
    rule_id, reason = c.rule_id, c.reason
    if c.emergency and responders:
        # The category's own agency keeps it (a fallen sign hit by a car stays with Dishub, with Dinkes alerted);
        # when that agency is outside the city, the first responder takes it.
        agency_code = responders[0] if c.outside_authority else c.opd
        needs_coordinator = c.needs_coordinator or bool(outside)
        names = ", ".join(responders)
        if c.opd != agency_code:
            reason = f"Keadaan darurat ({c.emergency_kind}): {names} dikerahkan sekaligus."
        elif c.emergency_kind != c.category:
            reason = f"{reason} Keadaan darurat ({c.emergency_kind}) dikenali dari teks: {names} dikerahkan sekaligus."
        if outside:
            reason += f" Diteruskan ke {_name(catalogue, outside)} lewat meja koordinator."
    elif c.emergency and c.auto and not outside:
        # A possible emergency seen only by the model's score: dispatched as usual, and the desk alerted to check
        # at once and send responders if it is one (no responders of a guessed kind: no fire engine to a pothole).
        agency_code, needs_coordinator = c.opd, True
        reason = (
            f"{reason} Mungkin darurat (dikenali model, skor {c.emergency_score:.2f}, tanpa kata bahaya): meja "
            "koordinator memeriksa segera dan mengerahkan responder bila perlu."
        )
    elif c.needs_coordinator:
        agency_code, needs_coordinator = coordinator_desk, True
        if not outside:
            suggestions = ", ".join(f"{s.opd} {s.score:.2f}" for s in c.alternatives)
            reason = (
                f"Keyakinan {c.confidence:.2f} di bawah ambang otomatis: meja koordinator memilih instansi "
                f"(usulan: {suggestions})."
            )
            if c.emergency:
                reason = (
                    f"Mungkin darurat (dikenali model, skor {c.emergency_score:.2f}, tanpa kata bahaya) dan instansi "
                    f"belum pasti: meja koordinator memeriksa segera (usulan: {suggestions})."
                )
    else:
        agency_code, needs_coordinator = c.opd, False
    if unknown_category:
        reason = f"Kategori {unknown_category!r} tidak dikenal katalog, kategori diusulkan dari teks; {reason}"
    return TextRoutingDecision(
        agency=catalogue.agencies[agency_code],
        priority=priority,
        due_at=catalogue.sla.due(priority, complaint.received_at),
        rule_id=rule_id,
        reason=reason,
        category=c.category,
        category_source=CategorySource.GIVEN if c.category_given else CategorySource.PROPOSED,
        classifier_category=c.model_category if c.disagreement else "",
        confidence=c.confidence,
        classification=c,
        emergency=c.emergency,
        emergency_kind=c.emergency_kind or "",
        responders=responders,
        outside_authority=outside,
        needs_coordinator=needs_coordinator,
        coordinator_desk=coordinator_desk if needs_coordinator else "",
        duplicate=duplicate,
        kelurahan_in_text=kelurahan_in_text or "",
    )


def _name(catalogue: Catalogue, code: str) -> str:
    agency = catalogue.agencies.get(code)
    return agency.name if agency else code
