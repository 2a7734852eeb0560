"""One example per refusal: the rule it names, the kind the API maps to a status code, and the current status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from suara_complaint import WIB, Policy, Priority, RefusalKind, Status, WorkingCalendar, fold
from suara_complaint import commands as c
from suara_complaint.policy import EscalationLevel
from suara_complaint.testing import (
    AUDITOR,
    COORDINATOR,
    INTEGRATOR,
    OTHER_INTEGRATOR,
    ROUTER,
    Complaint,
    head,
    officer,
)

CID = "c-1"
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)
DPUPR = officer("DPUPR")


@pytest.fixture
def cx(calendar: WorkingCalendar, policy: Policy) -> Complaint:
    x = Complaint(calendar, policy, MONDAY)
    x.do(submit())
    return x


def submit(key: str = "sub-1", category: str = "jalan_rusak") -> c.Submit:
    return c.Submit(
        complaint_id=CID,
        actor=INTEGRATOR,
        idempotency_key=key,
        tracking_number="KDR-AAAAA-BBBBB",
        category=category,
        priority=Priority.NORMAL,
        text="Jalan Merbabu berlubang besar",
        kelurahan_code="3571030007",
        source_channel="whatsapp",
    )


def route(opd: str, key: str = "route-1") -> c.Route:
    return c.Route(complaint_id=CID, actor=ROUTER, idempotency_key=key, opd=opd, rule_id="R-1", reason="aturan")


def hand_back(opd: str, key: str) -> c.HandBack:
    return c.HandBack(complaint_id=CID, actor=officer(opd), idempotency_key=key, reason="bukan wewenang kami")


def acknowledged(cx: Complaint, opd: str = "DPUPR") -> Complaint:
    cx.do(route(opd))
    cx.do(c.Acknowledge(complaint_id=CID, actor=officer(opd), idempotency_key="ack-1"))
    return cx


def resolved(cx: Complaint) -> Complaint:
    acknowledged(cx)
    cx.do(c.Resolve(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="res-1", resolution="ditambal"))
    return cx


def test_a_command_on_a_complaint_that_does_not_exist_is_not_found(calendar: WorkingCalendar, policy: Policy) -> None:
    r = Complaint(calendar, policy, MONDAY).refused(route("DPUPR"))
    assert (r.kind, r.rule, r.status) == (RefusalKind.NOT_FOUND, "complaint-not-found", None)


def test_submitting_again_with_the_same_key_records_nothing_and_a_new_key_is_refused(cx: Complaint) -> None:
    assert cx.do(submit()) == []
    r = cx.refused(submit(key="sub-2"))
    assert (r.kind, r.rule) == (RefusalKind.ALREADY_EXISTS, "complaint-exists")


def test_an_officer_cannot_dispatch(cx: Complaint) -> None:
    r = cx.refused(c.Dispatch(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="d", opd="DPUPR"))
    assert (r.kind, r.rule, r.role, r.scope) == (
        RefusalKind.OUT_OF_SCOPE,
        "role-not-allowed",
        "opd_officer",
        "opd:DPUPR",
    )
    assert "coordinator" in r.message


def test_an_auditor_cannot_change_anything(cx: Complaint) -> None:
    r = cx.refused(c.Archive(complaint_id=CID, actor=AUDITOR, idempotency_key="a", reason="spam"))
    assert (r.kind, r.rule, r.role) == (RefusalKind.OUT_OF_SCOPE, "role-not-allowed", "auditor")


def test_an_officer_of_another_opd_is_out_of_scope(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    r = cx.refused(c.Acknowledge(complaint_id=CID, actor=officer("DISHUB"), idempotency_key="a"))
    assert (r.kind, r.rule, r.scope, r.status) == (RefusalKind.OUT_OF_SCOPE, "opd-scope", "opd:DISHUB", "dispatched")


def test_only_the_submitting_integrator_acts_for_the_citizen(cx: Complaint) -> None:
    r = cx.refused(c.AddInfo(complaint_id=CID, actor=OTHER_INTEGRATOR, idempotency_key="i", text="tambahan"))
    assert (r.kind, r.rule, r.scope) == (RefusalKind.OUT_OF_SCOPE, "integrator-scope", "integrator:bot-wa")


def test_a_stale_expected_version_is_refused_with_the_current_version(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    r = cx.refused(c.Acknowledge(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="a", expected_version=1))
    assert (r.kind, r.rule, r.version) == (RefusalKind.STALE_VERSION, "expected-version", 2)


def test_a_retried_command_records_nothing_even_with_its_old_version(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    ack = c.Acknowledge(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="a", expected_version=2)
    assert len(cx.do(ack)) == 1
    assert cx.do(ack) == []
    assert cx.s.version == 3


def test_a_key_reused_for_another_command_is_refused(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    cx.do(c.Acknowledge(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="k"))
    r = cx.refused(c.PostFollowUp(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="k", text="sudah dicek"))
    assert (r.kind, r.rule) == (RefusalKind.INVALID, "idempotency-key-reused")


def test_an_illegal_transition_names_the_status_and_the_allowed_ones(cx: Complaint) -> None:
    r = cx.refused(c.ConfirmResolved(complaint_id=CID, actor=INTEGRATOR, idempotency_key="x"))
    assert (r.kind, r.rule, r.status) == (RefusalKind.ILLEGAL_TRANSITION, "lifecycle:ConfirmResolved", "submitted")
    assert "allowed in: resolved" in r.message


def test_resolve_needs_an_acknowledgement_first(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    r = cx.refused(c.Resolve(complaint_id=CID, actor=head("DPUPR"), idempotency_key="r", resolution="beres"))
    assert (r.rule, r.status) == ("resolve-after-acknowledge", "dispatched")


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (
            c.Assign(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="x", officer="budi"),
            "assign-after-acknowledge",
        ),
        (
            c.PostFollowUp(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="x", text="ok"),
            "follow-up-after-acknowledge",
        ),
    ],
)
def test_work_needs_an_acknowledgement_first(cx: Complaint, command: c.Command, rule: str) -> None:
    cx.do(route("DPUPR"))
    assert cx.refused(command).rule == rule


def test_no_dispatch_to_an_opd_that_handed_it_back(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    cx.do(hand_back("DPUPR", "hb-1"))
    assert cx.refused(route("DPUPR", key="route-2")).rule == "no-dispatch-to-opd-that-handed-back"
    r = cx.refused(c.Dispatch(complaint_id=CID, actor=COORDINATOR, idempotency_key="d", opd="DPUPR"))
    assert (r.rule, r.status) == ("no-dispatch-to-opd-that-handed-back", "returned")
    cx.do(c.DecideOwner(complaint_id=CID, actor=COORDINATOR, idempotency_key="own", opd="DPUPR", reason="jalan kota"))
    assert cx.s.opd == "DPUPR" and cx.s.status is Status.DISPATCHED


def test_the_second_hand_back_puts_it_on_the_coordinators_desk(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    cx.do(hand_back("DPUPR", "hb-1"))
    cx.do(route("DISPERKIM", key="route-2"))
    events = cx.do(hand_back("DISPERKIM", "hb-2"))
    assert [e.type_name() for e in events] == ["ComplaintHandedBack", "HandBackCapReached"]
    assert cx.s.status is Status.NEEDS_COORDINATOR
    r = cx.refused(c.Dispatch(complaint_id=CID, actor=COORDINATOR, idempotency_key="d", opd="DISHUB"))
    assert (r.rule, r.status) == ("needs-owner-decision", "needs_coordinator")
    assert cx.refused(route("DISHUB", key="route-3")).rule == "needs-owner-decision"


def test_the_hand_back_cap_is_configurable_per_category(calendar: WorkingCalendar) -> None:
    cx = Complaint(calendar, Policy(hand_back_cap_by_category={"jalan_rusak": 1}), MONDAY)
    cx.do(submit())
    cx.do(route("DPUPR"))
    cx.do(hand_back("DPUPR", "hb-1"))
    assert cx.s.status is Status.NEEDS_COORDINATOR


def test_after_a_final_decision_the_opd_cannot_hand_it_back(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    cx.do(c.DecideOwner(complaint_id=CID, actor=COORDINATOR, idempotency_key="own", opd="DPUPR", reason="milik DPUPR"))
    r = cx.refused(hand_back("DPUPR", "hb-1"))
    assert (r.rule, r.status, r.kind) == ("owner-decided", "dispatched", RefusalKind.ILLEGAL_TRANSITION)
    # The coordinator still can move it.
    cx.do(c.Redispatch(complaint_id=CID, actor=COORDINATOR, idempotency_key="re", opd="DISHUB", reason="PJU"))
    assert cx.s.opd == "DISHUB"


def test_redispatch_to_the_same_opd_is_refused(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    r = cx.refused(c.Redispatch(complaint_id=CID, actor=COORDINATOR, idempotency_key="re", opd="DPUPR", reason="x"))
    assert (r.rule, r.kind) == ("redispatch-to-same-opd", RefusalKind.INVALID)


def test_dispatch_of_a_complaint_an_opd_holds_points_to_redispatch(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    r = cx.refused(c.Dispatch(complaint_id=CID, actor=COORDINATOR, idempotency_key="d", opd="DISHUB"))
    assert r.rule == "lifecycle:Dispatch" and "Redispatch" in r.message


def test_a_hand_back_suggesting_itself_is_invalid(cx: Complaint) -> None:
    cx.do(route("DPUPR"))
    r = cx.refused(
        c.HandBack(complaint_id=CID, actor=officer("DPUPR"), idempotency_key="h", reason="x", suggested_opd="DPUPR")
    )
    assert (r.rule, r.kind) == ("suggested-opd-is-self", RefusalKind.INVALID)


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (c.Archive(complaint_id=CID, actor=COORDINATOR, idempotency_key="x", reason="  "), "reason-required"),
        (c.RequestInfo(complaint_id=CID, actor=COORDINATOR, idempotency_key="x", question=""), "question-required"),
        (
            c.MarkDuplicate(complaint_id=CID, actor=COORDINATOR, idempotency_key="x", duplicate_of=CID),
            "duplicate-of-itself",
        ),
        (c.Escalate(complaint_id=CID, actor=COORDINATOR, idempotency_key="x", reason="x" * 2001), "reason-too-long"),
    ],
)
def test_bad_fields_are_invalid_arguments(cx: Complaint, command: c.Command, rule: str) -> None:
    r = cx.refused(command)
    assert (r.kind, r.rule) == (RefusalKind.INVALID, rule)


def test_verify_once(cx: Complaint) -> None:
    cx.do(c.Verify(complaint_id=CID, actor=COORDINATOR, idempotency_key="v1"))
    assert cx.refused(c.Verify(complaint_id=CID, actor=COORDINATOR, idempotency_key="v2")).rule == "already-verified"


def test_escalate_only_upwards(cx: Complaint) -> None:
    cx.do(c.Escalate(complaint_id=CID, actor=COORDINATOR, idempotency_key="e1", reason="lama"))
    r = cx.refused(
        c.Escalate(
            complaint_id=CID, actor=COORDINATOR, idempotency_key="e2", reason="x", level=EscalationLevel.OPD_HEAD
        )
    )
    assert r.rule == "escalation-not-higher"


def test_rating_is_one_to_four_and_once(cx: Complaint) -> None:
    resolved(cx)
    r = cx.refused(c.Rate(complaint_id=CID, actor=INTEGRATOR, idempotency_key="r0", score=5))
    assert (r.kind, r.rule) == (RefusalKind.INVALID, "ikm-score-range")
    cx.do(c.Rate(complaint_id=CID, actor=INTEGRATOR, idempotency_key="r1", score=4, comment="cepat"))
    assert cx.refused(c.Rate(complaint_id=CID, actor=INTEGRATOR, idempotency_key="r2", score=1)).rule == "already-rated"


def test_reopen_goes_back_to_the_same_opd_within_ten_working_days(cx: Complaint) -> None:
    resolved(cx)
    cx.now += timedelta(days=13)  # 9 working days later
    cx.do(c.Reopen(complaint_id=CID, actor=INTEGRATOR, idempotency_key="o1", reason="masih berlubang"))
    assert (cx.s.status, cx.s.opd) == (Status.REOPENED, "DPUPR")


def test_reopen_after_ten_working_days_finds_it_closed(cx: Complaint) -> None:
    resolved(cx)
    cx.now += timedelta(days=15)  # 11 working days later: auto-closed meanwhile
    r = cx.refused(c.Reopen(complaint_id=CID, actor=INTEGRATOR, idempotency_key="o1", reason="masih berlubang"))
    assert (r.status, r.version) == (Status.CLOSED, 4)  # the stored version: the auto-close is not recorded yet


def test_reopen_window_is_its_own_setting(calendar: WorkingCalendar) -> None:
    from suara_complaint.policy import working_days

    cx = Complaint(calendar, Policy(reopen_window=working_days(2)), MONDAY)
    cx.do(submit())
    resolved(cx)
    cx.now += timedelta(days=3)
    r = cx.refused(c.Reopen(complaint_id=CID, actor=INTEGRATOR, idempotency_key="o1", reason="masih"))
    assert (r.rule, r.status) == ("reopen-window-closed", "resolved")


def test_a_deadline_command_before_its_time_is_refused(cx: Complaint) -> None:
    d = cx.s.deadlines[0]
    r = cx.refused(
        c.RecordDeadlineBreach(complaint_id=CID, actor=ROUTER, idempotency_key="b", deadline_id=d.deadline_id)
    )
    assert r.rule == "deadline-not-due"


def test_every_refusal_leaves_the_stream_as_it_was(cx: Complaint) -> None:
    before = list(cx.events)
    cx.refused(c.ConfirmResolved(complaint_id=CID, actor=INTEGRATOR, idempotency_key="x"))
    assert cx.events == before and fold(before) == cx.state
