"""Helpers for the ballot service tests: a small register, a ballot, votes recorded with their
log entries but without links or receipts (the casting service is tested on its own)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from estate.models import Community
from estate.roll import RollRow
from estate.services import create_community, import_roll
from fundvote.runtime import Runtime
from notary import store
from notary.work import UnitOfWork
from voting import ballots
from voting.ballots import QuestionDraft, UsePlan
from voting.models import Ballot, RollMember, RollUnit, Vote

CODE = "JB01"
ORIGIN = "fundvote.test"

# Units: building 1 has four flats; building 2 has two flats and the developer's shop.
# o1 holds 1-101 and 2-101 (one member over two buildings); o2+o3 hold 1-102 together.
ROWS = (
    ("1-101", "1", 8937, ("o1",), False),
    ("1-102", "1", 8937, ("o2", "o3"), False),
    ("1-103", "1", 10000, ("o4",), False),
    ("1-104", "1", 12005, ("o5",), False),
    ("2-101", "2", 12000, ("o1",), False),
    ("2-102", "2", 6400, ("o6",), False),
    ("2-S01", "2", 20000, (), True),
)


def make_register(rt: Runtime, *, code: str = CODE, **settings: Any) -> str:
    rt.run(create_community, code=code, name="江滨花园", **settings)
    rows = [
        RollRow(line=i + 2, unit=u, building=b, area_centi=a, owner_keys=o, is_developer_held=d)
        for i, (u, b, a, o, d) in enumerate(ROWS)
    ]
    rt.run(import_roll, community_code=code, rows=rows, cipher=rt.cipher, source_name="test")
    return code


def plan(budget: int = 1_000_000, **sources: int) -> UsePlan:
    return UsePlan(
        repair="更换3号楼电梯",
        budget_fen=budget,
        sources=sources or {"maintenance_fund": budget},
        emergency="电梯故障时先行停运并通知物业",
    )


def window(rt: Runtime, *, start_hours: int = 1, days: int = 7) -> tuple[datetime, datetime]:
    now = rt.clock.now()
    return now + timedelta(hours=start_hours), now + timedelta(hours=start_hours, days=days)


def draft(
    rt: Runtime,
    *,
    questions: Sequence[QuestionDraft] | None = None,
    code: str = CODE,
    **kwargs: Any,
) -> ballots.BallotInfo:
    opens, closes = window(rt)
    kwargs.setdefault("opens_at", opens)
    kwargs.setdefault("closes_at", closes)
    kwargs.setdefault("title", "电梯更新")
    kwargs.setdefault("description", "三号楼电梯更新改造")
    if questions is None:
        questions = [QuestionDraft("fund_use", "同意使用维修资金更换电梯?", plan())]
    return rt.run(ballots.create_ballot, community_code=code, questions=questions, **kwargs)


def members(rt: Runtime, ref: str) -> list[RollMember]:
    with rt.session_factory() as s:
        bid = ballots.ballot_id_for_ref(s, ref)
        rows = s.scalars(
            sa.select(RollMember).where(RollMember.ballot_id == bid).order_by(RollMember.position)
        ).all()
        s.expunge_all()
        return list(rows)


def member_by_unit(rt: Runtime, ref: str, unit: str) -> RollMember:
    with rt.session_factory() as s:
        bid = ballots.ballot_id_for_ref(s, ref)
        row = s.scalar(
            sa.select(RollMember)
            .join(RollUnit, RollUnit.member_id == RollMember.id)
            .where(RollUnit.ballot_id == bid, RollUnit.unit_code == unit)
        )
        assert row is not None, unit
        s.expunge(row)
        return row


def cast(rt: Runtime, ref: str, unit: str, choices: Mapping[str, str] | str, **kw: Any) -> str:
    """Record a vote for the member holding ``unit`` as the casting service would: its
    ``voting.ballot_cast`` log entry and its row, in one unit of work (no link, no window
    check, no signed receipt: the casting service is tested on its own)."""
    if isinstance(choices, str):
        choices = {"1": choices}
    member = member_by_unit(rt, ref, unit)
    tracker = kw.pop("tracker", None) or secrets.token_hex(8)
    channel = kw.pop("channel", "online")

    def record(uow: UnitOfWork) -> None:
        s = uow.session
        ballot = s.scalars(sa.select(Ballot).where(Ballot.ref == ref)).one()
        code = s.get_one(Community, ballot.community_id).code
        appended = uow.log(
            code,
            "voting.ballot_cast",
            {
                "ballot": ref,
                "member": member.member_key,
                "choices": dict(choices),
                "weights": {"heads": member.heads, "area_centi": member.area_centi},
                "channel": channel,
                "tracker": tracker,
            },
        )
        s.add(
            Vote(
                ballot_id=ballot.id,
                member_id=member.id,
                channel=channel,
                choices=json.dumps(dict(choices)),
                tracker=tracker,
                cast_at=uow.clock.now(),
                log_index=appended.index,
                leaf_hash=appended.leaf_hash.hex(),
                receipt="{}",
            )
        )

    rt.run(record)
    return tracker


def at(rt: Runtime, when: datetime) -> None:
    rt.clock.set(when)  # type: ignore[attr-defined]


def log(rt: Runtime, code: str = CODE, prefix: str = "voting.") -> list[dict[str, Any]]:
    with rt.session_factory() as s:
        return [e.data for e in store.entries(s, code) if e.data["type"].startswith(prefix)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def run_to_tallied(rt: Runtime, info: ballots.BallotInfo, votes: Mapping[str, Any]) -> Any:
    """Open the draft, cast ``votes`` (unit -> choice or choices), close and tally."""
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.opens_at)
    for unit, choice in votes.items():
        cast(rt, info.ref, unit, choice)
    at(rt, info.closes_at)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    return rt.run(ballots.tally_ballot, ballot_ref=info.ref)
