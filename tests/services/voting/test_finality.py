"""Settings frozen at opening; final without a click (read, then recorded by the tick);
objections overdue flagged once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from estate.api import change_settings
from fundvote.runtime import Runtime
from fundvote.tick import record_due_finality
from voting import api as voting
from voting import ballots
from voting.errors import ObjectionUpheld
from voting.finality import ObjectionCounts, effective_finality

from .ballot_helpers import CODE, draft, log, make_register, run_to_tallied
from .test_publication import VOTES, answer, lodge, publish


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    make_register(runtime)
    return runtime


def set_rules(rt: Runtime, **kw: Any) -> None:
    rt.run(
        change_settings,
        community_code=CODE,
        actor=1,
        may_set_rules=True,
        may_set_holder=True,
        basis="管理规约第8条",
        **kw,
    )


def read(rt: Runtime, ref: str) -> voting.BallotInfo:
    return rt.query(voting.ballot_by_ref, ref)


def published(rt: Runtime, **kw: Any) -> voting.BallotInfo:
    info = draft(rt, **kw)
    run_to_tallied(rt, info, VOTES)
    return publish(rt, info.ref)


def test_a_draft_follows_the_community_and_opening_freezes(rt: Runtime) -> None:
    info = draft(rt)
    assert (info.publicity_days, info.deemed_majority_enabled, info.settings_frozen) == (
        7,
        False,
        False,
    )
    set_rules(rt, deemed_majority_enabled=True, binding_result="deemed", publicity_days=12)
    info = read(rt, info.ref)
    assert (info.publicity_days, info.binding, info.fund_holder) == (
        12,
        "deemed_majority",
        "authority",
    )
    opened = rt.run(ballots.open_ballot, ballot_ref=info.ref)
    assert opened.settings_frozen and opened.publicity_days == 12
    entry = log(rt)[-1]["data"]
    assert entry["publicity_days"] == 12 and entry["fund_holder"] == "authority"
    assert entry["binding"] == "deemed_majority"
    # A change after opening moves the community, never the opened ballot.
    set_rules(rt, deemed_majority_enabled=False, publicity_days=3)
    rt.run(
        change_settings,
        community_code=CODE,
        actor=2,
        may_set_rules=False,
        may_set_holder=True,
        basis="业主大会决定",
        fund_holder="assembly",
        document_sha256="a" * 64,
    )
    kept = read(rt, info.ref)
    assert (kept.publicity_days, kept.deemed_majority_enabled, kept.binding) == (
        12,
        True,
        "deemed_majority",
    )
    assert kept.fund_holder == "authority"
    assert draft(rt).fund_holder == "assembly"  # a new draft follows the change


def test_a_drafts_own_period_is_kept_and_can_follow_again(rt: Runtime) -> None:
    info = draft(rt, publicity_days=3)
    set_rules(rt, publicity_days=10)
    assert read(rt, info.ref).publicity_days == 3
    again = rt.run(
        ballots.update_draft, ballot_ref=info.ref, publicity_days=voting.FOLLOW_COMMUNITY
    )
    assert again.publicity_days == 10 and not again.has_own_publicity_days


def test_the_tally_uses_the_frozen_deemed_majority_setting(rt: Runtime) -> None:
    set_rules(rt, deemed_majority_enabled=True, binding_result="deemed")
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    set_rules(rt, deemed_majority_enabled=False)
    rt.clock.advance(hours=1)
    for unit, choice in VOTES.items():
        from .ballot_helpers import cast

        cast(rt, info.ref, unit, choice)
    rt.clock.advance(days=8)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    report = rt.query(voting.get_tally, info.ref)
    assert report is not None
    assert report.questions[0].binding == "deemed_majority"
    assert report.questions[0].deemed_majority is not None


def test_reads_final_without_a_click_then_tick_records_it(rt: Runtime) -> None:
    info = published(rt)
    ends = info.publicity_ends_at
    assert ends is not None
    oid = lodge(rt, info.ref)
    rt.clock.advance(days=7)  # the period is over, the objection unanswered
    now = read(rt, info.ref)
    assert now.status == "published" and now.overdue_objections == 1
    rt.clock.advance(days=1)
    answer(rt, info.ref, oid, upheld=False)
    answered_at = rt.clock.now()
    rt.clock.advance(hours=5)
    shown = read(rt, info.ref)
    assert shown.status == "final" and shown.recorded_status == "published"
    assert shown.final_at == answered_at and shown.is_final_unrecorded
    assert [b.status for b in rt.query(voting.list_ballots, CODE)] == ["final"]
    assert "voting.ballot_final" not in [e["type"] for e in log(rt)]  # nothing written yet

    assert str(record_due_finality(rt)) == "1 ballot final, 0 flagged"
    stored = read(rt, info.ref)
    assert stored.status == stored.recorded_status == "final"
    assert stored.final_at == answered_at  # the moment it became final, not the tick's
    last = log(rt)[-1]
    assert last["type"] == "voting.ballot_final"
    assert last["data"]["by"] is None and last["data"]["objections"] == 1
    assert str(record_due_finality(rt)) == "0 ballots final, 0 flagged"


def test_final_at_is_the_period_end_without_late_answers(rt: Runtime) -> None:
    info = published(rt)
    rt.clock.advance(days=9)
    record_due_finality(rt)
    assert read(rt, info.ref).final_at == info.publicity_ends_at


def test_not_final_during_the_period(rt: Runtime) -> None:
    info = published(rt)
    rt.clock.advance(days=7, seconds=-1)
    assert read(rt, info.ref).status == "published"
    assert str(record_due_finality(rt)) == "0 ballots final, 0 flagged"


def test_an_upheld_objection_keeps_it_published_for_annulment(rt: Runtime) -> None:
    info = published(rt)
    answer(rt, info.ref, lodge(rt, info.ref), upheld=True)
    rt.clock.advance(days=30)
    assert read(rt, info.ref).status == "published"
    assert str(record_due_finality(rt)) == "0 ballots final, 0 flagged"
    with pytest.raises(ObjectionUpheld):
        rt.run(ballots.finalize_ballot, ballot_ref=info.ref)
    annulled = rt.run(ballots.annul_ballot, ballot_ref=info.ref, reason="计票有误")
    assert annulled.status == "annulled"


def test_overdue_objections_are_flagged_once_and_listed(rt: Runtime) -> None:
    info = published(rt)
    lodge(rt, info.ref)
    lodge(rt, info.ref, "第二条异议")
    assert rt.query(voting.overdue_objections) == []
    rt.clock.advance(days=7)
    (o,) = rt.query(voting.overdue_objections)
    assert (o.ballot_ref, o.unanswered, o.flagged_at) == (info.ref, 2, None)
    assert rt.query(voting.overdue_objections, [o_id + 10_000 for o_id in range(1)]) == []
    assert str(record_due_finality(rt)) == "0 ballots final, 1 flagged"
    assert str(record_due_finality(rt)) == "0 ballots final, 0 flagged"
    flags = [e for e in log(rt) if e["type"] == "voting.objections_overdue"]
    assert len(flags) == 1 and flags[0]["data"]["unanswered"] == 2
    (o,) = rt.query(voting.overdue_objections)
    assert o.flagged_at is not None


def test_effective_finality_rule() -> None:
    from datetime import UTC, datetime

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    ends = t0 + timedelta(days=7)

    def at(now: datetime, **counts: Any) -> Any:
        return effective_finality(
            status="published",
            published_at=t0,
            publicity_days=7,
            final_at=None,
            objections=ObjectionCounts(**counts),
            now=now,
        )

    assert at(ends - timedelta(seconds=1)).status == "published"
    assert (at(ends).status, at(ends).final_at) == ("final", ends)
    late = ends + timedelta(days=2)
    assert at(late, lodged=1, last_answered_at=late).final_at == late
    assert at(late, lodged=1, unanswered=1).overdue_objections == 1
    assert at(late, lodged=1, upheld=1).status == "published"
    closed = effective_finality(
        status="closed",
        published_at=None,
        publicity_days=7,
        final_at=None,
        objections=ObjectionCounts(),
        now=late,
    )
    assert closed.status == "closed"
