"""Publishing (checkpoint on the ballot), finality, objections and answers, annulment, board."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fundvote.runtime import Runtime
from notary import store
from voting import ballots, publication
from voting.ballots import QuestionDraft, in_publicity_period
from voting.errors import (
    IllegalTransition,
    InvalidBallot,
    NoUpheldObjection,
    ObjectionAnswered,
    ObjectionNotFound,
    ObjectionsPending,
    ObjectionUpheld,
    PublicityNotOver,
    ResultsNotPublished,
)
from voting.models import Objection

from .ballot_helpers import CODE, ORIGIN, at, cast, draft, log, make_register, run_to_tallied

VOTES = {"1-101": "agree", "1-102": "agree", "1-103": "agree", "2-102": "oppose", "2-S01": "agree"}


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    make_register(runtime)
    return runtime


def publish(rt: Runtime, ref: str) -> ballots.BallotInfo:
    return rt.run(ballots.publish_ballot, ballot_ref=ref, origin_prefix=ORIGIN)


def published(rt: Runtime, **kw: object) -> ballots.BallotInfo:
    info = draft(rt, **kw)
    run_to_tallied(rt, info, VOTES)
    return publish(rt, info.ref)


def lodge(rt: Runtime, ref: str, text: str = "统计有误") -> int:
    from .ballot_helpers import members

    member = members(rt, ref)[0]
    with rt.session_factory.begin() as s:
        row = Objection(
            ballot_id=ballots.ballot_id_for_ref(s, ref),
            member_id=member.id,
            text=text,
            lodged_at=rt.clock.now(),
        )
        s.add(row)
        s.flush()
        return row.id


def answer(rt: Runtime, ref: str, oid: int, upheld: bool, text: str = "已复核") -> object:
    return rt.run(
        publication.answer_objection,
        ballot_ref=ref,
        objection_id=oid,
        answer=text,
        is_upheld=upheld,
        actor=3,
    )


def test_publish_stores_the_checkpoint_that_covers_the_publication(rt: Runtime) -> None:
    info = published(rt)
    with rt.session_factory() as s:
        cp = store.latest_checkpoint(s, CODE)
        size = store.tree_size(s, CODE)
    assert cp is not None
    assert info.notice_tree_size == cp.size == size
    assert info.notice_root == cp.root.hex()
    assert info.notice_key_id == rt.keyring.active_key_id
    assert cp.origin == f"{ORIGIN}/{CODE}"
    last = log(rt)[-1]
    assert last["type"] == "voting.ballot_published"
    assert last["data"]["decisions"][0]["outcome"] == {
        "binding": "plain",
        "quorum_met": True,
        "approved": True,
        "passed": True,
    }
    assert last["data"]["publicity"]["days"] == 7


def test_final_only_after_the_publicity_period(rt: Runtime) -> None:
    info = published(rt)
    assert in_publicity_period(info, rt.clock.now())
    rt.clock.advance(days=7, seconds=-1)
    with pytest.raises(PublicityNotOver):
        rt.run(ballots.finalize_ballot, ballot_ref=info.ref)
    rt.clock.advance(seconds=1)
    assert not in_publicity_period(info, rt.clock.now())
    assert rt.run(ballots.finalize_ballot, ballot_ref=info.ref).status == "final"


def test_zero_day_publicity_is_final_at_once(rt: Runtime) -> None:
    info = published(rt, publicity_days=0)
    assert rt.run(ballots.finalize_ballot, ballot_ref=info.ref).status == "final"


def test_upheld_objection_blocks_final_and_allows_annulment(rt: Runtime) -> None:
    info = published(rt)
    oid = lodge(rt, info.ref)
    rt.clock.advance(days=8)
    with pytest.raises(ObjectionsPending):
        rt.run(ballots.finalize_ballot, ballot_ref=info.ref)
    answered = answer(rt, info.ref, oid, upheld=True, text="核实2-102的纸质票漏计")
    assert answered.is_upheld is True  # type: ignore[attr-defined]
    with pytest.raises(ObjectionUpheld):
        rt.run(ballots.finalize_ballot, ballot_ref=info.ref)
    with pytest.raises(InvalidBallot):
        rt.run(ballots.annul_ballot, ballot_ref=info.ref, reason=" ")
    annulled = rt.run(
        ballots.annul_ballot, ballot_ref=info.ref, reason="计票有误，重新表决", actor=3
    )
    assert annulled.status == "annulled" and annulled.annul_reason == "计票有误，重新表决"
    entry = log(rt)[-1]
    assert entry["type"] == "voting.ballot_annulled" and entry["data"]["objections"] == [oid]
    assert "计票" not in str(entry)  # reasons are published on the page, hashed in the log
    with pytest.raises(IllegalTransition):
        rt.run(ballots.finalize_ballot, ballot_ref=info.ref)


def test_rejected_objection_lets_the_result_become_final(rt: Runtime) -> None:
    info = published(rt)
    oid = lodge(rt, info.ref)
    answer(rt, info.ref, oid, upheld=False)
    with pytest.raises(NoUpheldObjection):
        rt.run(ballots.annul_ballot, ballot_ref=info.ref, reason="x")
    rt.clock.advance(days=7)
    assert rt.run(ballots.finalize_ballot, ballot_ref=info.ref).status == "final"
    with rt.session_factory() as s:
        (o,) = publication.list_objections(s, info.ref)
    assert o.answer == "已复核" and o.is_upheld is False and o.is_answered


def test_answers_once_and_only_while_published(rt: Runtime) -> None:
    info = published(rt)
    oid = lodge(rt, info.ref)
    with pytest.raises(InvalidBallot):
        answer(rt, info.ref, oid, upheld=False, text="  ")
    with pytest.raises(ObjectionNotFound):
        answer(rt, info.ref, oid + 99, upheld=False)
    answer(rt, info.ref, oid, upheld=False)
    with pytest.raises(ObjectionAnswered):
        answer(rt, info.ref, oid, upheld=True)
    entry = log(rt)[-1]
    assert entry["type"] == "voting.objection_answered"
    assert entry["data"]["upheld"] is False and len(entry["data"]["answer_sha256"]) == 64
    rt.clock.advance(days=7)
    rt.run(ballots.finalize_ballot, ballot_ref=info.ref)
    other = lodge(rt, info.ref)
    with pytest.raises(IllegalTransition):
        answer(rt, info.ref, other, upheld=False)


def test_board_in_tracker_mode_shows_trackers_and_choices(rt: Runtime) -> None:
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.opens_at)
    t1 = cast(rt, info.ref, "1-101", "agree", tracker="ffff0001")
    t2 = cast(rt, info.ref, "2-102", "oppose", tracker="0000aaaa")
    with rt.session_factory() as s, pytest.raises(ResultsNotPublished):
        publication.board(s, info.ref, public=False)
    at(rt, info.closes_at)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    with rt.session_factory() as s:
        with pytest.raises(ResultsNotPublished):
            publication.board(s, info.ref)  # the public waits for publication
        committee = publication.board(s, info.ref, public=False)
    assert [(r.tracker, r.choices) for r in committee.rows] == [
        (t2, ("oppose",)),
        (t1, ("agree",)),
    ]
    publish(rt, info.ref)
    with rt.session_factory() as s:
        board = publication.board(s, info.ref)
        units = publication.participation(s, info.ref)
    assert board.mode == "tracker" and all(r.units == () for r in board.rows)
    assert units == ("1-101", "2-101", "2-102")  # o1 took part with both units


def test_board_in_named_mode_shows_units_not_trackers(rt: Runtime) -> None:
    info = published(rt, disclosure="named")
    with rt.session_factory() as s:
        board = publication.board(s, info.ref)
    assert board.mode == "named"
    assert all(r.tracker is None for r in board.rows)
    assert [r.units for r in board.rows][:2] == [("1-101", "2-101"), ("1-102",)]
    assert ("2-S01",) in [r.units for r in board.rows]


def test_board_choices_follow_question_order(rt: Runtime) -> None:
    info = draft(rt, questions=[QuestionDraft("rules", "a"), QuestionDraft("other", "b")])
    run_to_tallied(rt, info, {"1-101": {"2": "oppose", "1": "agree"}, "1-103": {"1": "abstain"}})
    with rt.session_factory() as s:
        rows = publication.board(s, info.ref, public=False).rows
    assert sorted(r.choices for r in rows) == [("abstain", ""), ("agree", "oppose")]


def test_publicity_period_moves_with_the_clock(rt: Runtime) -> None:
    info = published(rt, publicity_days=3)
    assert info.publicity_ends_at == info.published_at + timedelta(days=3)  # type: ignore[operator]
