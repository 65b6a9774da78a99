"""Ballot drafts, the lifecycle state machine, scope rules, use plans and roll freezing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from estate.models import Unit
from estate.roll import RollRow
from estate.services import import_roll
from fundvote.runtime import Runtime
from notary import store
from notary.envelope import PERSONAL_DATA_KEYS
from tests.conftest import requires_postgres
from voting import ballots
from voting.ballots import QuestionDraft, UsePlan, accepts_votes
from voting.errors import (
    BallotFrozen,
    BallotNotFound,
    IllegalTransition,
    InvalidBallot,
    InvalidUsePlan,
    WindowNotOver,
    WindowPassed,
)
from voting.matters import MatterUnknown, ScopeTooNarrow
from voting.models import RollMember, RollUnit
from voting.roll import roll_commitment, roll_document

from .ballot_helpers import CODE, ORIGIN, at, cast, draft, log, make_register, members, plan

pytestmark = pytest.mark.usefixtures("runtime")


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    make_register(runtime)
    return runtime


# --- use plans ---------------------------------------------------------------------------


def test_use_plan_fills_every_source_and_adds_up() -> None:
    p = UsePlan("换电梯", 300_00, {"subsidy": 100_00, "maintenance_fund": 200_00}, "停运")
    assert list(p.sources) == list(ballots.FUNDING_SOURCES)
    assert p.sources["social_capital"] == 0
    assert p.maintenance_fund_fen == 200_00
    assert UsePlan.from_dict(p.as_dict()) == p


@pytest.mark.parametrize(
    ("budget", "sources", "repair"),
    [
        (100, {"maintenance_fund": 99}, "x"),  # does not add up
        (100, {"maintenance_fund": 101}, "x"),
        (100, {"maintenance_fund": 150, "subsidy": -50}, "x"),  # negative source
        (100, {"maintenance_fund": 100, "bank_loan": 0}, "x"),  # unknown source
        (0, {}, "x"),  # no budget
        (-5, {"maintenance_fund": -5}, "x"),
        (100, {"maintenance_fund": 100}, "  "),  # no repair
        (100, {"maintenance_fund": 100.0}, "x"),  # float, never
        (True, {"maintenance_fund": 1}, "x"),
    ],
)
def test_bad_use_plans_are_refused(budget: int, sources: dict[str, int], repair: str) -> None:
    with pytest.raises(InvalidUsePlan):
        UsePlan(repair, budget, sources, "")


def test_fund_use_needs_a_plan_and_others_must_not_have_one(rt: Runtime) -> None:
    with pytest.raises(InvalidUsePlan):
        draft(rt, questions=[QuestionDraft("fund_use", "用维修资金?")])
    with pytest.raises(InvalidUsePlan):
        draft(rt, questions=[QuestionDraft("rules", "修改规约?", plan())])


def test_use_plan_round_trips_through_the_database(rt: Runtime) -> None:
    p = plan(500_00, subsidy=100_00, maintenance_fund=300_00, owners_direct=100_00)
    info = draft(rt, questions=[QuestionDraft("fund_use", "换电梯?", p)])
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, info.ref).questions[0].use_plan == p


# --- drafts ------------------------------------------------------------------------------


def test_create_defaults_and_logs(rt: Runtime) -> None:
    info = draft(rt)
    assert info.status == "draft"
    assert info.publicity_days == 7  # the community's default
    assert info.scope_kind == "community" and info.scope_codes == ()
    assert info.questions[0].position == 1
    assert [e["type"] for e in log(rt)] == ["voting.ballot_created"]
    with rt.session_factory() as s:
        assert [b.ref for b in ballots.list_ballots(s, CODE)] == [info.ref]
        assert ballots.ballot_id_for_ref(s, info.ref) > 0
        with pytest.raises(BallotNotFound):
            ballots.get_ballot(s, "nope")


def test_publicity_days_default_is_the_communitys(runtime: Runtime) -> None:
    make_register(runtime, publicity_days=10)
    assert draft(runtime).publicity_days == 10
    assert draft(runtime, publicity_days=3).publicity_days == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", " "),
        ("title", "x" * 201),
        ("publicity_days", -1),
        ("publicity_days", 366),
        ("disclosure", "secret"),
        ("identity_check", "face"),
        ("questions", []),
        ("questions", [QuestionDraft("other", "q")] * 21),
        ("questions", [QuestionDraft("other", " ")]),
    ],
)
def test_invalid_drafts_are_refused(rt: Runtime, field: str, value: object) -> None:
    with pytest.raises(InvalidBallot):
        draft(rt, **{field: value})
    assert log(rt) == []


def test_window_must_be_ordered_and_in_the_future(rt: Runtime) -> None:
    now = rt.clock.now()
    with pytest.raises(InvalidBallot):
        draft(rt, opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=1))
    with pytest.raises(InvalidBallot):
        draft(rt, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1))


def test_unknown_matter(rt: Runtime) -> None:
    with pytest.raises(MatterUnknown):
        draft(rt, questions=[QuestionDraft("Fund_use", "q")])


def test_update_draft_replaces_questions_and_keeps_the_rest(rt: Runtime) -> None:
    info = draft(rt)
    new = rt.run(
        ballots.update_draft,
        ballot_ref=info.ref,
        title="新标题",
        questions=[QuestionDraft("rules", "修改规约?"), QuestionDraft("other", "其他?")],
    )
    assert new.title == "新标题"
    assert [(q.position, q.matter) for q in new.questions] == [(1, "rules"), (2, "other")]
    assert new.description == info.description and new.closes_at == info.closes_at
    # a failing update changes nothing
    with pytest.raises(ScopeTooNarrow):
        rt.run(ballots.update_draft, ballot_ref=info.ref, scope_kind="buildings", scope_codes=["1"])
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, info.ref) == new


def test_attachments_are_stored_with_their_hash(rt: Runtime) -> None:
    import hashlib

    info = draft(rt)
    data = b"%PDF-1.4 plan"
    a = rt.run(
        ballots.add_attachment,
        ballot_ref=info.ref,
        filename="C:\\docs\\方案.pdf",
        content_type="application/pdf",
        data=data,
    )
    assert a.sha256 == hashlib.sha256(data).hexdigest() and a.filename == "方案.pdf"
    with pytest.raises(InvalidBallot):  # the same document twice
        rt.run(
            ballots.add_attachment,
            ballot_ref=info.ref,
            filename="again.pdf",
            content_type="application/pdf",
            data=data,
        )
    with rt.session_factory() as s:
        got, raw = ballots.get_attachment(s, info.ref, a.id)
        assert raw == data and got == a
        assert ballots.get_ballot(s, info.ref).attachments == (a,)
    rt.run(ballots.remove_attachment, ballot_ref=info.ref, attachment_id=a.id)
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, info.ref).attachments == ()
    assert [e["type"] for e in log(rt)][-2:] == [
        "voting.attachment_added",
        "voting.attachment_removed",
    ]


# --- scope -------------------------------------------------------------------------------


def test_narrow_scope_only_for_fund_use_or_consultations(rt: Runtime) -> None:
    fund = draft(rt, scope_kind="buildings", scope_codes=["2", "1", "1"])
    assert fund.scope_codes == ("1", "2")
    with pytest.raises(ScopeTooNarrow):
        draft(
            rt,
            scope_kind="buildings",
            scope_codes=["1"],
            questions=[QuestionDraft("fund_use", "q", plan()), QuestionDraft("manager", "q")],
        )
    consult = draft(
        rt,
        scope_kind="units",
        scope_codes=["1-101", "1-102"],
        is_consultation=True,
        questions=[QuestionDraft("manager", "征求意见")],
    )
    assert consult.is_consultation and consult.scope_codes == ("1-101", "1-102")


@pytest.mark.parametrize(
    ("kind", "codes"),
    [("buildings", ["9"]), ("units", ["1-101", "9-999"]), ("buildings", []), ("street", ["1"])],
)
def test_scope_codes_must_exist(rt: Runtime, kind: str, codes: list[str]) -> None:
    with pytest.raises(InvalidBallot):
        draft(rt, scope_kind=kind, scope_codes=codes)


def test_whole_community_scope_lists_no_codes(rt: Runtime) -> None:
    with pytest.raises(InvalidBallot):
        draft(rt, scope_kind="community", scope_codes=["1"])


# --- lifecycle ---------------------------------------------------------------------------


def test_happy_path_through_every_state(rt: Runtime) -> None:
    clock = rt.clock
    info = draft(rt)
    opened = rt.run(ballots.open_ballot, ballot_ref=info.ref, actor=7)
    assert opened.status == "open" and opened.roll_heads == 6
    assert not accepts_votes(opened, clock.now())  # opened before the window starts
    at(rt, info.opens_at)
    assert accepts_votes(opened, clock.now())
    for unit in ("1-101", "1-102", "1-103", "2-102", "2-S01"):
        cast(rt, info.ref, unit, "agree")
    at(rt, info.closes_at)
    assert not accepts_votes(opened, clock.now())
    assert rt.run(ballots.close_ballot, ballot_ref=info.ref).status == "closed"
    report = rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    assert report.ballot.status == "tallied" and report.questions[0].plain.passed
    published = rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)
    assert published.status == "published"
    assert published.publicity_ends_at == clock.now() + timedelta(days=7)
    clock.advance(days=7)
    final = rt.run(ballots.finalize_ballot, ballot_ref=info.ref)
    assert final.status == "final" and final.final_at == clock.now()
    assert [e["type"] for e in log(rt) if e["type"] != "voting.ballot_cast"] == [
        "voting.ballot_created",
        "voting.ballot_opened",
        "voting.ballot_closed",
        "voting.decision_recorded",
        "voting.ballot_published",
        "voting.ballot_final",
    ]
    assert all(e["data"]["ballot"] == info.ref for e in log(rt))


STEPS = {
    "open": lambda rt, ref: rt.run(ballots.open_ballot, ballot_ref=ref),
    "close": lambda rt, ref: rt.run(ballots.close_ballot, ballot_ref=ref),
    "tally": lambda rt, ref: rt.run(ballots.tally_ballot, ballot_ref=ref),
    "publish": lambda rt, ref: rt.run(ballots.publish_ballot, ballot_ref=ref, origin_prefix=ORIGIN),
    "finalize": lambda rt, ref: rt.run(ballots.finalize_ballot, ballot_ref=ref),
    "cancel": lambda rt, ref: rt.run(ballots.cancel_ballot, ballot_ref=ref),
    "annul": lambda rt, ref: rt.run(ballots.annul_ballot, ballot_ref=ref, reason="理由"),
}
PATH = ["open", "close", "tally", "publish", "finalize"]
ALLOWED = {
    "draft": {"open", "cancel"},
    "open": {"close", "cancel"},
    "closed": {"tally"},
    "tallied": {"publish"},
    "published": {"finalize", "annul"},
    "final": set(),
    "cancelled": set(),
}


def _ballot_in(rt: Runtime, status: str) -> str:
    info = draft(rt)
    if status == "cancelled":
        STEPS["cancel"](rt, info.ref)
        return info.ref
    order = ["draft", "open", "closed", "tallied", "published", "final"]
    for step in PATH[: order.index(status)]:
        if step == "close":
            at(rt, info.closes_at)
        if step == "finalize":
            rt.clock.advance(days=8)
        STEPS[step](rt, info.ref)
    return info.ref


@pytest.mark.parametrize("status", list(ALLOWED))
def test_every_illegal_transition_is_a_named_error(rt: Runtime, status: str) -> None:
    for step in sorted(set(STEPS) - ALLOWED[status]):
        ref = _ballot_in(rt, status)
        before = len(log(rt))
        with pytest.raises(IllegalTransition):
            STEPS[step](rt, ref)
        assert len(log(rt)) == before, step
        with rt.session_factory() as s:
            assert ballots.get_ballot(s, ref).status == status


def test_frozen_after_opening(rt: Runtime) -> None:
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    with pytest.raises(BallotFrozen):
        rt.run(ballots.update_draft, ballot_ref=info.ref, title="x")
    with pytest.raises(BallotFrozen):
        rt.run(ballots.update_draft, ballot_ref=info.ref, questions=[QuestionDraft("other", "q")])
    with pytest.raises(BallotFrozen):
        rt.run(
            ballots.add_attachment,
            ballot_ref=info.ref,
            filename="a.pdf",
            content_type="application/pdf",
            data=b"x",
        )


def test_close_only_after_the_window(rt: Runtime) -> None:
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.closes_at - timedelta(seconds=1))
    with pytest.raises(WindowNotOver):
        rt.run(ballots.close_ballot, ballot_ref=info.ref)
    at(rt, info.closes_at)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)


def test_cannot_open_after_the_window(rt: Runtime) -> None:
    info = draft(rt)
    at(rt, info.closes_at)
    with pytest.raises(WindowPassed):
        rt.run(ballots.open_ballot, ballot_ref=info.ref)


def test_cancel_an_open_ballot(rt: Runtime) -> None:
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    done = rt.run(ballots.cancel_ballot, ballot_ref=info.ref, reason="方案有误")
    assert done.status == "cancelled" and done.cancelled_at == rt.clock.now()


# --- roll freezing -----------------------------------------------------------------------


def test_opening_freezes_the_roll_by_holder(rt: Runtime) -> None:
    info = draft(rt)
    opened = rt.run(ballots.open_ballot, ballot_ref=info.ref)
    ms = members(rt, info.ref)
    # o1's two units are one member; o2+o3 one member; the developer's shop one member
    assert len(ms) == opened.roll_heads == 6
    assert opened.roll_area_centi == 8937 + 8937 + 10000 + 12005 + 12000 + 6400 + 20000
    assert sum(m.is_developer for m in ms) == 1
    assert all(m.member_key.startswith("m") and len(m.member_key) == 33 for m in ms)
    with rt.session_factory() as s:
        units = s.execute(
            sa.select(RollUnit.unit_code, RollUnit.member_id).order_by(RollUnit.unit_code)
        ).all()
    by_unit = dict(units)
    assert by_unit["1-101"] == by_unit["2-101"]
    assert json.loads(next(m for m in ms if m.id == by_unit["1-102"]).owner_refs).__len__() == 2


def test_scope_denominator_is_the_scope(rt: Runtime) -> None:
    info = draft(rt, scope_kind="buildings", scope_codes=["2"])
    opened = rt.run(ballots.open_ballot, ballot_ref=info.ref)
    assert opened.roll_heads == 3  # o1 (by 2-101 only), o6, developer
    assert opened.roll_area_centi == 12000 + 6400 + 20000


def test_commitment_is_logged_and_reproducible(rt: Runtime) -> None:
    info = draft(rt)
    opened = rt.run(ballots.open_ballot, ballot_ref=info.ref)
    entry = next(e for e in log(rt) if e["type"] == "voting.ballot_opened")
    assert entry["data"]["roll"] == {
        "commitment": opened.roll_commitment,
        "heads": 6,
        "area_centi": opened.roll_area_centi,
    }
    assert entry["data"]["content"]["questions"][0]["use_plan"]["budget_fen"] == 1_000_000
    with rt.session_factory() as s:
        doc = roll_document(
            s,
            ballot_id=ballots.ballot_id_for_ref(s, info.ref),
            ballot_ref=info.ref,
            community_code=CODE,
            scope_kind="community",
            scope_codes=(),
        )
    assert roll_commitment(doc) == opened.roll_commitment
    assert [u["unit"] for u in doc["members"][0]["units"]] == ["1-101", "2-101"]
    # the roll names owners by ref only
    text = json.dumps(entry)
    for key in PERSONAL_DATA_KEYS:
        assert f'"{key}"' not in text


def test_register_changes_after_opening_do_not_move_the_roll(rt: Runtime) -> None:
    info = draft(rt)
    opened = rt.run(ballots.open_ballot, ballot_ref=info.ref)
    before = [(m.member_key, m.area_centi) for m in members(rt, info.ref)]
    # the register changes: a unit grows, a unit changes hands, a new unit appears
    rt.run(
        import_roll,
        community_code=CODE,
        rows=[
            RollRow(2, "1-101", "1", 9999, ("o1",), False),
            RollRow(3, "1-103", "1", 10000, ("o9",), False),
            RollRow(4, "1-105", "1", 5000, ("o8",), False),
        ],
        cipher=rt.cipher,
        source_name="later",
    )
    with rt.session_factory() as s:
        assert s.scalar(sa.select(Unit.area_centi).where(Unit.code == "1-101")) == 9999
        now = ballots.get_ballot(s, info.ref)
        doc = roll_document(
            s,
            ballot_id=ballots.ballot_id_for_ref(s, info.ref),
            ballot_ref=info.ref,
            community_code=CODE,
            scope_kind="community",
            scope_codes=(),
        )
        assert s.scalar(sa.select(sa.func.count()).select_from(RollMember)) == 6
    assert [(m.member_key, m.area_centi) for m in members(rt, info.ref)] == before
    assert (now.roll_heads, now.roll_area_centi) == (opened.roll_heads, opened.roll_area_centi)
    assert roll_commitment(doc) == opened.roll_commitment


def test_deemed_majority_setting_is_copied_at_opening(runtime: Runtime) -> None:
    make_register(runtime, deemed_majority_enabled=True, binding_result="deemed")
    info = draft(runtime)
    opened = runtime.run(ballots.open_ballot, ballot_ref=info.ref)
    assert opened.deemed_majority_enabled and opened.binding == "deemed_majority"
    with runtime.session_factory() as s:
        assert store.tree_size(s, CODE) > 0


@requires_postgres
def test_concurrent_steps_move_the_ballot_once(rt: Runtime) -> None:
    """Ten simultaneous openers: one opens (one roll, one log entry), nine get IllegalTransition."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    info = draft(rt)
    barrier = Barrier(10)

    def go(_: int) -> str:
        barrier.wait()
        try:
            rt.run(ballots.open_ballot, ballot_ref=info.ref)
            return "ok"
        except IllegalTransition:
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = sorted(pool.map(go, range(10)))
    assert outcomes == ["ok"] + ["refused"] * 9
    assert len(members(rt, info.ref)) == 6
    assert [e["type"] for e in log(rt)].count("voting.ballot_opened") == 1
