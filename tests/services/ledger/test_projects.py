"""Projects, funding, draws, gates and maker-checker approvals (services, both databases)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from estate.api import change_settings
from fundvote.runtime import Runtime
from ledger.api import (
    AlreadyApproved,
    DecisionNotUsable,
    DrawExceedsBudget,
    DrawInfo,
    DrawNotCovered,
    DrawNotPending,
    EmergencyPublished,
    FundingExceedsPlan,
    FundingNotReceived,
    IdempotencyConflict,
    InvalidDraw,
    InvalidEmergency,
    InvalidFunding,
    NotDrawApprover,
    PostingLine,
    ProjectExists,
    ProjectInfo,
    PublicIncomeNeedsCommunityDecision,
    PublicIncomeShort,
    SelfApproval,
    approve_draw,
    balances,
    get_entry,
    informed_draws,
    largest_remainder,
    open_project_from_decision,
    open_project_from_emergency,
    pending_draws,
    post_entry,
    posted_balances,
    project_report,
    publish_emergency,
    receive_funding,
    record_draw,
    record_emergency,
    reject_draw,
    unpublished_emergencies,
)
from notary import store
from tests.services.ledger.project_helpers import (
    AREAS,
    AUTHORITY,
    COMMITTEE,
    MANAGER,
    decided,
    deposit,
    fund_everyone,
    register_with_books,
    use_plan,
)
from tests.services.voting.ballot_helpers import CODE
from voting import api as voting

DAY = date(2026, 3, 1)


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    register_with_books(runtime)
    return runtime


def _open(rt: Runtime, ref: str, **kw: Any) -> ProjectInfo:
    return rt.run_as(
        MANAGER, open_project_from_decision, community_code=CODE, ballot_ref=ref, position=1, **kw
    )


def _record(rt: Runtime, project: str, amount: int, **kw: Any) -> DrawInfo:
    kw.setdefault("stage", "progress")
    kw.setdefault("value_date", DAY)
    return rt.run_as(
        kw.pop("actor", MANAGER),
        record_draw,
        community_code=CODE,
        project_ref=project,
        amount_fen=amount,
        **kw,
    )


def _approve(rt: Runtime, ref: str, actor: int = AUTHORITY, **kw: Any) -> DrawInfo:
    kw.setdefault("is_authority", actor == AUTHORITY)
    kw.setdefault("is_committee_member", actor in COMMITTEE)
    kw.setdefault("committee_size", len(COMMITTEE))
    return rt.run_as(actor, approve_draw, community_code=CODE, draw_ref=ref, **kw)


def _balance(rt: Runtime, code: str) -> int:
    return {b.code: b.balance_fen for b in rt.query(balances, CODE)}[code]


def _events(rt: Runtime, prefix: str = "ledger.") -> list[dict[str, Any]]:
    with rt.session_factory() as s:
        return [e.data for e in store.entries(s, CODE) if e.data["type"].startswith(prefix)]


def _assert_books_consistent(rt: Runtime) -> None:
    running = {b.code: b.balance_fen for b in rt.query(balances, CODE)}
    assert running == rt.query(posted_balances, CODE)
    assert sum(running.values()) == 0
    for b in rt.query(balances, CODE):
        if b.code.startswith("2101.") or b.code in ("1001", "1002", "1003"):
            assert b.natural_balance_fen >= 0, b.code


# --- the decision as the ledger sees it ---------------------------------------------------


def test_the_decision_lookup_reports_finality_passing_scope_and_plan(rt: Runtime) -> None:
    ref = decided(rt, use_plan(600_000, maintenance_fund=400_000, subsidy=200_000), final=False)
    decision = rt.query(voting.fund_use_decision, CODE, ref, 1)
    assert decision is not None
    assert decision.status == "published" and not decision.is_final
    assert decision.is_passed and decision.is_whole_community
    assert decision.scope == frozenset(AREAS)
    assert dict(decision.unit_areas) == AREAS
    assert decision.use_plan.sources["subsidy"] == 200_000
    rt.clock.set(rt.clock.now() + timedelta(days=8))  # type: ignore[attr-defined]
    assert rt.query(voting.fund_use_decision, CODE, ref, 1).is_final  # type: ignore[union-attr]
    assert rt.query(voting.fund_use_decision, CODE, ref, 2) is None
    assert rt.query(voting.fund_use_decision, "OTHER", ref, 1) is None


# --- projects ------------------------------------------------------------------------------


def test_a_project_opens_from_a_passed_decision_once(rt: Runtime) -> None:
    ref = decided(rt, use_plan(900_000, maintenance_fund=600_000, social_capital=300_000))
    project = _open(rt, ref)
    assert project.budget_fen == 900_000
    assert project.sources["maintenance_fund"] == 600_000
    assert dict(project.unit_areas) == AREAS and project.is_whole_community
    assert project.origin == "decision" and project.ballot_ref == ref
    with pytest.raises(ProjectExists):
        _open(rt, ref)
    with pytest.raises(DecisionNotUsable):
        rt.run_as(
            MANAGER, open_project_from_decision, community_code=CODE, ballot_ref=ref, position=3
        )
    assert [e["type"] for e in _events(rt)] == ["ledger.project_opened"]


def test_a_failed_decision_opens_no_project(rt: Runtime) -> None:
    ref = decided(rt, votes={"1-101": "oppose", "1-102": "oppose", "1-103": "oppose"})
    with pytest.raises(DecisionNotUsable):
        _open(rt, ref)


def test_public_income_over_part_of_the_community_needs_a_community_wide_decision(
    rt: Runtime,
) -> None:
    plan = use_plan(500_000, maintenance_fund=400_000, public_income=100_000)
    narrow = decided(
        rt,
        plan,
        scope_kind="buildings",
        scope_codes=["1"],
        votes={"1-101": "agree", "1-102": "agree", "1-103": "agree", "1-104": "agree"},
    )
    with pytest.raises(PublicIncomeNeedsCommunityDecision):
        _open(rt, narrow)
    allowing = decided(rt, use_plan(100_000, public_income=100_000))
    project = _open(rt, narrow, public_income_ballot_ref=allowing, public_income_position=1)
    assert project.public_income_ballot_ref == allowing
    assert set(project.unit_areas) == {"1-101", "1-102", "1-103", "1-104"}
    assert not project.is_whole_community


# --- gates and maker-checker ---------------------------------------------------------------


def test_a_draw_without_a_final_decision_is_refused_with_a_named_error(rt: Runtime) -> None:
    fund_everyone(rt)
    ref = decided(rt, final=False)
    project = _open(rt, ref)
    with pytest.raises(DrawNotCovered) as refused:
        _record(rt, project.ref, 100_000)
    assert "not final" in str(refused.value)
    assert _events(rt, "ledger.draw") == []


def test_the_gate_holds_again_when_the_draw_posts(rt: Runtime) -> None:
    fund_everyone(rt)
    ref = decided(rt)
    project = _open(rt, ref)
    draw = _record(rt, project.ref, 100_000)
    # The decision is annulled before approval (an upheld objection): the gate refuses.
    with rt.session_factory.begin() as s:
        s.execute(sa.text("UPDATE ballot SET status = 'annulled' WHERE ref = :r"), {"r": ref})
    with pytest.raises(DrawNotCovered):
        _approve(rt, draw.ref)
    assert _balance(rt, "1001") == 7_000_000


def test_an_authority_approval_posts_the_draw_and_each_step_is_logged(rt: Runtime) -> None:
    fund_everyone(rt)
    project = _open(rt, decided(rt))
    draw = _record(rt, project.ref, 300_000, retention_fen=30_000, invoices=["INV-1"])
    assert draw.status == "recorded" and draw.entry_number is None
    assert [p.ref for p in rt.query(pending_draws, [CODE])] == [draw.ref]
    with pytest.raises(SelfApproval):
        _approve(rt, draw.ref, actor=MANAGER, is_authority=True)
    with pytest.raises(NotDrawApprover):
        _approve(rt, draw.ref, actor=COMMITTEE[0])
    posted = _approve(rt, draw.ref)
    assert posted.status == "posted" and posted.approved_via == "authority"
    assert posted.approvals == (AUTHORITY,)
    entry = rt.query(get_entry, CODE, posted.entry_number)
    assert entry.kind == "draw" and entry.documents["draw"] == draw.ref
    assert entry.documents["invoices"] == ["INV-1"]
    shares = largest_remainder(300_000, sorted(AREAS.items()))
    for unit, share in shares.items():
        assert _balance(rt, f"2101.{unit}") == -1_000_000 + share
    assert _balance(rt, "1001") == 7_000_000 - 270_000
    assert _balance(rt, "2202") == -30_000
    assert rt.query(pending_draws, [CODE]) == []
    assert [e["type"] for e in _events(rt, "ledger.draw")] == [
        "ledger.draw_recorded",
        "ledger.draw_approved",
        "ledger.draw_posted",
    ]
    with pytest.raises(DrawNotPending):
        _approve(rt, draw.ref, actor=AUTHORITY + 1, is_authority=True)
    _assert_books_consistent(rt)


def test_with_the_assembly_holding_the_fund_a_committee_majority_approves(rt: Runtime) -> None:
    rt.run(
        change_settings,
        community_code=CODE,
        actor=AUTHORITY,
        may_set_rules=False,
        may_set_holder=True,
        basis="业主大会决定",
        fund_holder="assembly",
        document_sha256="b" * 64,
    )
    fund_everyone(rt)
    project = _open(rt, decided(rt))
    draw = _record(rt, project.ref, 100_000)
    with pytest.raises(NotDrawApprover):
        _approve(rt, draw.ref)  # the authority is informed, it does not approve
    first = _approve(rt, draw.ref, actor=COMMITTEE[0])
    assert first.status == "recorded" and first.approvals == (COMMITTEE[0],)
    with pytest.raises(AlreadyApproved):
        _approve(rt, draw.ref, actor=COMMITTEE[0])
    second = _approve(rt, draw.ref, actor=COMMITTEE[1])
    assert second.status == "posted" and second.approved_via == "committee"
    assert second.committee_size == 3
    informed = rt.query(informed_draws, [CODE])
    assert [(i.ref, i.approvals, i.committee_size) for i in informed] == [(draw.ref, 2, 3)]
    # Four members: two approvals are not more than half.
    other = _record(rt, project.ref, 100_000)
    _approve(rt, other.ref, actor=COMMITTEE[0], committee_size=4)
    assert _approve(rt, other.ref, actor=COMMITTEE[1], committee_size=4).status == "recorded"
    assert _approve(rt, other.ref, actor=COMMITTEE[2], committee_size=4).status == "posted"


def test_a_rejected_draw_posts_nothing(rt: Runtime) -> None:
    fund_everyone(rt)
    project = _open(rt, decided(rt))
    draw = _record(rt, project.ref, 100_000)
    with pytest.raises(InvalidDraw):
        rt.run_as(
            AUTHORITY,
            reject_draw,
            community_code=CODE,
            draw_ref=draw.ref,
            reason=" ",
            is_authority=True,
            is_committee_member=False,
            committee_size=0,
        )
    rejected = rt.run_as(
        AUTHORITY,
        reject_draw,
        community_code=CODE,
        draw_ref=draw.ref,
        reason="发票金额与合同不符",
        is_authority=True,
        is_committee_member=False,
        committee_size=0,
    )
    assert rejected.status == "rejected" and rejected.entry_number is None
    with pytest.raises(DrawNotPending):
        _approve(rt, draw.ref)
    assert _balance(rt, "1001") == 7_000_000
    logged = _events(rt, "ledger.draw_rejected")[0]["data"]
    assert "发票" not in str(logged) and len(logged["reason_sha256"]) == 64


# --- stages, sources, shortfalls -----------------------------------------------------------


def test_stages_add_up_to_the_apportionment_of_the_total(rt: Runtime) -> None:
    fund_everyone(rt)
    plan = use_plan(1_000_003, subsidy=333_334, maintenance_fund=500_001, social_capital=166_668)
    project = _open(rt, decided(rt, plan))
    for source, fen in (("subsidy", 333_334), ("social_capital", 166_668)):
        rt.run_as(
            MANAGER,
            receive_funding,
            community_code=CODE,
            project_ref=project.ref,
            source=source,
            amount_fen=fen,
            value_date=DAY,
        )
    stages = [("advance", 300_001, 0), ("progress", 400_001, 35_000), ("final", 300_001, 50_000)]
    for stage, amount, retention in stages:
        draw = _record(rt, project.ref, amount, stage=stage, retention_fen=retention)
        _approve(rt, draw.ref)
    release = _record(rt, project.ref, 0, stage="retention_release", retention_fen=85_000)
    _approve(rt, release.ref)
    report = rt.query(project_report, CODE, project.ref)
    total = 1_000_003
    by_source = largest_remainder(total, [(k, v) for k, v in project.sources.items()])
    assert {s.source: s.drawn_fen for s in report.sources} == by_source
    by_unit = largest_remainder(by_source["maintenance_fund"], sorted(AREAS.items()))
    assert {u.unit_code: u.drawn_fen for u in report.units} == by_unit
    assert {u.unit_code: u.plan_share_fen for u in report.units} == by_unit
    assert report.drawn_fen == total and report.retention_held_fen == 0
    assert _balance(rt, "2202") == 0 and _balance(rt, "1003") == 0
    assert _balance(rt, "2301") == 0 and _balance(rt, "2302") == 0
    with pytest.raises(DrawExceedsBudget):
        _record(rt, project.ref, 1)
    _assert_books_consistent(rt)


def test_a_source_not_yet_received_stops_the_draw(rt: Runtime) -> None:
    fund_everyone(rt)
    project = _open(rt, decided(rt, use_plan(400_000, subsidy=200_000, maintenance_fund=200_000)))
    draw = _record(rt, project.ref, 100_000)
    with pytest.raises(FundingNotReceived):
        _approve(rt, draw.ref)
    with pytest.raises(InvalidFunding):
        rt.run_as(
            MANAGER,
            receive_funding,
            community_code=CODE,
            project_ref=project.ref,
            source="maintenance_fund",
            amount_fen=1,
            value_date=DAY,
        )
    got = rt.run_as(
        MANAGER,
        receive_funding,
        community_code=CODE,
        project_ref=project.ref,
        source="subsidy",
        amount_fen=200_000,
        value_date=DAY,
        idempotency_key="sub-1",
    )
    again = rt.run_as(
        MANAGER,
        receive_funding,
        community_code=CODE,
        project_ref=project.ref,
        source="subsidy",
        amount_fen=200_000,
        value_date=DAY,
        idempotency_key="sub-1",
    )
    assert again.is_replay and again.entry_number == got.entry_number
    with pytest.raises(FundingExceedsPlan):
        rt.run_as(
            MANAGER,
            receive_funding,
            community_code=CODE,
            project_ref=project.ref,
            source="subsidy",
            amount_fen=1,
            value_date=DAY,
        )
    assert _approve(rt, draw.ref).status == "posted"
    assert _balance(rt, "1003") == 150_000 and _balance(rt, "2301") == -150_000


def test_public_income_moves_from_its_own_account_into_the_project(rt: Runtime) -> None:
    rt.run_as(
        1,
        post_entry,
        community_code=CODE,
        kind="public_income",
        value_date=DAY,
        lines=[
            PostingLine("1002", 80_000),
            PostingLine("4101", -80_000),
        ],
    )
    project = _open(rt, decided(rt, use_plan(100_000, public_income=50_000, subsidy=50_000)))
    rt.run_as(
        MANAGER,
        receive_funding,
        community_code=CODE,
        project_ref=project.ref,
        source="public_income",
        amount_fen=50_000,
        value_date=DAY,
    )
    assert _balance(rt, "1002") == 30_000 and _balance(rt, "1003") == 50_000
    assert _balance(rt, "2304") == -50_000 and _balance(rt, "3101") == 50_000


def test_public_income_for_a_project_never_exceeds_the_owners_balance(rt: Runtime) -> None:
    """The public-income bank may hold money that is not the owners' public income (here a
    payable parked there); a project takes only from the owners' balance."""
    rt.run_as(
        1,
        post_entry,
        community_code=CODE,
        kind="adjustment",
        value_date=DAY,
        lines=[
            PostingLine("1002", 80_000),
            PostingLine("4101", -20_000),
            PostingLine("2201", -60_000),
        ],
    )
    project = _open(rt, decided(rt, use_plan(100_000, public_income=50_000, subsidy=50_000)))
    receive = {
        "community_code": CODE,
        "project_ref": project.ref,
        "source": "public_income",
        "value_date": DAY,
    }
    with pytest.raises(PublicIncomeShort) as raised:
        rt.run_as(MANAGER, receive_funding, amount_fen=50_000, **receive)
    assert raised.value.params == {"available": 20_000, "amount": 50_000}
    assert _balance(rt, "1002") == 80_000 and _balance(rt, "2304") == 0
    rt.run_as(MANAGER, receive_funding, amount_fen=20_000, **receive)
    assert _balance(rt, "3101") == 20_000 and _balance(rt, "1002") == 60_000


def test_a_unit_short_of_its_share_pays_what_it_holds_and_owes_the_rest(rt: Runtime) -> None:
    fund_everyone(rt)
    project = _open(rt, decided(rt, use_plan(8_000_000)))
    draw = _record(rt, project.ref, 8_000_000)
    posted = _approve(rt, draw.ref)
    shares = largest_remainder(8_000_000, sorted(AREAS.items()))
    report = rt.query(project_report, CODE, project.ref)
    for line in report.units:
        assert line.drawn_fen == shares[line.unit_code]
        assert line.paid_fen == min(shares[line.unit_code], 1_000_000)
        assert line.shortfall_fen == max(0, shares[line.unit_code] - 1_000_000) >= 0
        assert _balance(rt, f"2101.{line.unit_code}") == line.paid_fen - 1_000_000
        if line.shortfall_fen:
            assert _balance(rt, f"1202.{line.unit_code}") == line.shortfall_fen
    assert _balance(rt, "2201") == -report.shortfall_fen < 0
    assert posted.status == "posted"
    _assert_books_consistent(rt)


def test_recording_is_idempotent(rt: Runtime) -> None:
    fund_everyone(rt)
    project = _open(rt, decided(rt))
    first = _record(rt, project.ref, 100_000, idempotency_key="pay-1")
    again = _record(rt, project.ref, 100_000, idempotency_key="pay-1")
    assert again.is_replay and again.ref == first.ref
    with pytest.raises(IdempotencyConflict):
        _record(rt, project.ref, 100_001, idempotency_key="pay-1")
    assert len(_events(rt, "ledger.draw_recorded")) == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"stage": "bonus"}, "stage"),
        ({"retention_fen": 200_000}, "retention"),
        ({"invoices": ["ok", ""]}, "Invoice"),
        ({"memo": "x" * 501}, "memo"),
        ({"value_date": date(1980, 1, 1)}, "date"),
    ],
)
def test_bad_draw_fields_are_named_and_nothing_is_written(
    rt: Runtime, kw: dict[str, Any], field: str
) -> None:
    project = _open(rt, decided(rt))
    with pytest.raises(InvalidDraw) as refused:
        _record(rt, project.ref, 100_000, **kw)
    assert field.lower() in str(refused.value).lower()
    assert _events(rt, "ledger.draw") == []


# --- emergencies ---------------------------------------------------------------------------


def test_an_emergency_draw_needs_no_vote_and_must_be_published(rt: Runtime) -> None:
    fund_everyone(rt)
    with pytest.raises(InvalidEmergency):
        rt.run_as(
            MANAGER,
            record_emergency,
            community_code=CODE,
            category="broken_window",
            evidence_sha256="a" * 64,
            description="x",
        )
    record = rt.run_as(
        MANAGER,
        record_emergency,
        community_code=CODE,
        category="roof_leak",
        evidence_sha256="A" * 64,
        description="2号楼顶层渗漏进户",
        scope_kind="buildings",
        scope_codes=["2"],
    )
    assert record.evidence_sha256 == "a" * 64
    assert record.publish_deadline == record.recorded_at + timedelta(days=30)
    project = rt.run_as(
        MANAGER,
        open_project_from_emergency,
        community_code=CODE,
        emergency_ref=record.ref,
        title="2号楼屋面应急抢修",
        sources={"maintenance_fund": 50_000},
    )
    assert set(project.unit_areas) == {"2-101", "2-102", "2-S01"}
    with pytest.raises(ProjectExists):
        rt.run_as(
            MANAGER,
            open_project_from_emergency,
            community_code=CODE,
            emergency_ref=record.ref,
            title="again",
            sources={"maintenance_fund": 1},
        )
    draw = _record(rt, project.ref, 50_000, stage="final")
    posted = _approve(rt, draw.ref)
    assert rt.query(get_entry, CODE, posted.entry_number).documents["emergency"] == record.ref
    waiting = rt.query(unpublished_emergencies, [CODE])
    assert [(w.ref, w.amount_fen, w.is_overdue) for w in waiting] == [(record.ref, 50_000, False)]
    later = rt.clock.now() + timedelta(days=31)
    assert rt.query(unpublished_emergencies, [CODE], later)[0].is_overdue
    published = rt.run_as(31, publish_emergency, community_code=CODE, emergency_ref=record.ref)
    assert published.published_at is not None
    assert rt.query(unpublished_emergencies, [CODE]) == []
    logged = _events(rt, "ledger.emergency_published")[0]["data"]
    assert sum(v[0] for v in logged["units"].values()) == 50_000
    with pytest.raises(EmergencyPublished):
        rt.run_as(31, publish_emergency, community_code=CODE, emergency_ref=record.ref)


def test_the_emergency_deadline_follows_the_community_setting(rt: Runtime) -> None:
    rt.run(
        change_settings,
        community_code=CODE,
        actor=31,
        may_set_rules=True,
        may_set_holder=False,
        basis="管理规约第12条",
        emergency_publish_days=10,
    )
    record = rt.run_as(
        MANAGER,
        record_emergency,
        community_code=CODE,
        category="lift_failure",
        evidence_sha256="c" * 64,
        description="电梯困人",
    )
    assert record.publish_deadline - record.recorded_at == timedelta(days=10)


def test_a_deposit_then_small_balance_is_never_overdrawn(rt: Runtime) -> None:
    deposit(rt, "1-101", 100)
    project = _open(rt, decided(rt, use_plan(1_000)))
    _approve(rt, _record(rt, project.ref, 1_000).ref)
    assert _balance(rt, "2101.1-101") == 0
    _assert_books_consistent(rt)
