"""Tallying through the database: the figures are voting.tally's, decisions are logged."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from notary import store
from voting import ballots
from voting.ballots import QuestionDraft
from voting.errors import UnresolvedPaperBallots
from voting.matters import CONSULTATION, matter_by_key
from voting.models import Decision
from voting.paper import enter_paper_ballot, void_paper_entry
from voting.tally import Ballot, Choice, Figure, tally

from .ballot_helpers import CODE, at, cast, draft, log, make_register, members, run_to_tallied

VOTES = {"1-101": "agree", "1-102": "agree", "1-103": "oppose", "2-102": "abstain"}


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    make_register(runtime)
    return runtime


def expected(rt: Runtime, ref: str, votes: dict[str, str], matter: str, deemed: bool = False):  # type: ignore[no-untyped-def]
    from .ballot_helpers import member_by_unit

    roll = [_M(m.member_key, m.heads, m.area_centi) for m in members(rt, ref)]
    cast_ = [Ballot(member_by_unit(rt, ref, u).member_key, c) for u, c in votes.items()]
    return tally(roll, cast_, matter_by_key(matter), deemed_majority=deemed)


class _M:
    def __init__(self, key: str, heads: int, area: int) -> None:
        self.key, self.heads, self.area_centi = key, heads, area


def test_figures_match_the_pure_tally(rt: Runtime) -> None:
    info = draft(rt)
    report = run_to_tallied(rt, info, VOTES)
    q = report.questions[0]
    want = expected(rt, info.ref, VOTES, "fund_use")
    assert q.plain == want.plain and q.deemed_majority is None and q.binding == "plain"
    # 4 of 6 heads (2/3: met); area (8937+12000)+8937+10000+6400 = 46274 of 78279 (not met)
    assert q.plain.participated == Figure(4, 46274)
    assert q.plain.quorum_heads_met is True and q.plain.quorum_area_met is False
    assert q.plain.passed is False and q.plain.approved is False  # 2 agree of 4: not > 1/2


def test_decisions_are_recorded_and_logged(rt: Runtime) -> None:
    info = draft(rt)
    report = run_to_tallied(rt, info, VOTES)
    entries = [e for e in log(rt) if e["type"] == "voting.decision_recorded"]
    assert len(entries) == 1
    record = entries[0]["data"]
    assert record == report.questions[0].record
    assert record["thresholds"] == {"quorum": ">= 2/3", "approval": "> 1/2"}
    assert record["plain"]["participated"] == {"heads": 4, "area_centi": 46274}
    assert record["plain"]["quorum_area_met"] is False
    with rt.session_factory() as s:
        d = s.scalars(sa.select(Decision)).one()
        assert json.loads(d.record) == record
        logged = store.entry(s, CODE, d.log_index).data
        assert logged["type"] == "voting.decision_recorded" and logged["data"] == record
        again = ballots.get_tally(s, info.ref)
    assert again is not None and again.questions == report.questions


def test_several_questions_and_blank_answers(rt: Runtime) -> None:
    info = draft(
        rt,
        questions=[
            QuestionDraft("rules", "修改议事规则?"),
            QuestionDraft("fund_raise", "续筹维修资金?"),
        ],
    )
    votes = {
        "1-101": {"1": "agree", "2": "agree"},
        "1-102": {"1": "agree", "2": "oppose"},
        "1-103": {"1": "agree"},  # left question 2 blank: did not take part in it
        "1-104": {"1": "agree", "2": "agree"},
        "2-102": {"1": "oppose", "2": "agree"},
    }
    report = run_to_tallied(rt, info, votes)
    q1, q2 = report.questions
    assert q1.plain == expected(rt, info.ref, {u: c["1"] for u, c in votes.items()}, "rules").plain
    q2_votes = {u: c["2"] for u, c in votes.items() if "2" in c}
    assert q2.plain == expected(rt, info.ref, q2_votes, "fund_raise").plain
    assert q1.plain.participated.heads == 5 and q2.plain.participated.heads == 4
    # q1: area 58279 of 78279 >= 2/3; agree 51879 of 58279 and 4 of 5 heads > 1/2
    assert q1.plain.passed is True
    # q2: the blank leaves 48279 of 78279 (< 2/3), so no quorum on that question
    assert q2.plain.quorum_area_met is False and q2.plain.passed is False


def test_deemed_majority_beside_plain(runtime: Runtime) -> None:
    make_register(runtime, deemed_majority_enabled=True, binding_result="deemed")
    info = draft(runtime)
    votes = {"1-101": "agree", "1-104": "agree", "2-102": "oppose"}
    report = run_to_tallied(runtime, info, votes)
    q = report.questions[0]
    want = expected(runtime, info.ref, votes, "fund_use", deemed=True)
    assert q.plain == want.plain and q.deemed_majority == want.deemed_majority
    assert q.binding == "deemed_majority" and q.binding_result is q.deemed_majority
    assert q.plain.passed is False  # the plain result stays visible and unchanged
    assert q.deemed_majority is not None and q.deemed_majority.non_voters_counted_as == Choice.AGREE
    assert q.record["binding"] == "deemed_majority"


def test_deemed_majority_reported_but_plain_binds(runtime: Runtime) -> None:
    make_register(runtime, deemed_majority_enabled=True, binding_result="plain")
    report = run_to_tallied(runtime, draft(runtime), {"1-101": "agree"})
    q = report.questions[0]
    assert q.deemed_majority is not None and q.binding == "plain"


def test_consultation_has_figures_only(rt: Runtime) -> None:
    info = draft(
        rt,
        is_consultation=True,
        scope_kind="buildings",
        scope_codes=["1"],
        questions=[QuestionDraft("manager", "是否更换物业?")],
    )
    report = run_to_tallied(rt, info, {"1-101": "agree", "1-103": "oppose"})
    q = report.questions[0]
    assert q.plain.matter == CONSULTATION.key
    assert q.plain.passed is None and q.plain.quorum_met is None
    assert q.plain.agree == Figure(1, 8937)  # o1 votes with the in-scope 1-101 only
    assert q.record["thresholds"] == {"quorum": None, "approval": None}


def test_unresolved_paper_ballots_block_the_tally(rt: Runtime) -> None:
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    member = members(rt, info.ref)[0]
    pending = rt.run(
        enter_paper_ballot,
        ballot_ref=info.ref,
        member_id=member.id,
        choices={1: "agree"},
        scan_sha256="a" * 64,
        entered_by=1,
        is_committee=True,
    )
    assert pending.status == "pending"
    at(rt, info.closes_at)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    with pytest.raises(UnresolvedPaperBallots):
        rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    rt.run(void_paper_entry, ballot_ref=info.ref, entry_id=pending.entry_id, voided_by=2)
    report = rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    assert report.questions[0].plain.participated == Figure(0, 0)


def test_nobody_voted(rt: Runtime) -> None:
    info = draft(rt)
    cast  # noqa: B018 - imported for other tests
    q = run_to_tallied(rt, info, {}).questions[0].plain
    assert (q.quorum_met, q.approved, q.passed) == (False, False, False)
