"""Helpers for the owner-side tests (links, casting, receipts, paper, proxies): a small
register with names and phones, and a ballot opened through the real ballot service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from estate.models import Owner
from estate.roll import RollRow
from estate.services import create_community, id_last4_purpose, id_number_hmac, import_roll
from fundvote.runtime import Runtime
from notary import store
from voting import ballots
from voting.ballots import QuestionDraft, UsePlan
from voting.credentials import IssuedLinks, issue_links
from voting.models import RollMember, RollUnit

CODE = "JB01"
BASE_URL = "https://vote.example"

# o1 holds 1-101 and 2-101 (one member); o2+o3 co-own 1-102; the developer holds 2-S01.
ROWS: tuple[tuple[str, str, int, tuple[str, ...], bool, tuple[str, ...], tuple[str, ...]], ...] = (
    ("1-101", "1", 8937, ("o1",), False, ("张三明",), ("13812341234",)),
    ("1-102", "1", 8937, ("o2", "o3"), False, ("李四", "王五六"), ("13900001111", "13700002222")),
    ("1-103", "1", 10000, ("o4",), False, ("赵六",), ("",)),
    ("2-101", "2", 12000, ("o1",), False, ("张三明",), ("13812341234",)),
    ("2-102", "2", 6400, ("o6",), False, ("欧阳娜娜",), ("13600003333",)),
    ("2-S01", "2", 20000, (), True, (), ()),
)


def make_register(rt: Runtime, code: str = CODE) -> str:
    rt.run(create_community, code=code, name="江滨花园")
    return import_rows(rt, code)


def import_rows(rt: Runtime, code: str = CODE) -> str:
    """Import the test units into an existing community."""
    rows = [
        RollRow(
            line=i + 2,
            unit=u,
            building=b,
            area_centi=a,
            owner_keys=o,
            is_developer_held=d,
            owner_names=tuple(names) or None,
            owner_phones=tuple(p or None for p in phones) or None,
        )
        for i, (u, b, a, o, d, names, phones) in enumerate(ROWS)
    ]
    rt.run(import_roll, community_code=code, rows=rows, cipher=rt.cipher, source_name="test")
    return code


def import_many(rt: Runtime, code: str, count: int) -> str:
    """Import ``count`` units into an existing community, one owner each (name and phone),
    in buildings of 100 units."""
    rows = [
        RollRow(
            line=i + 2,
            unit=f"{i // 100 + 1}-{i % 100 + 101}",
            building=str(i // 100 + 1),
            area_centi=8000 + i % 4000,
            owner_keys=(f"o{i}",),
            is_developer_held=False,
            owner_names=(f"业主{i}号",),
            owner_phones=(f"139{i:08d}",),
        )
        for i in range(count)
    ]
    rt.run(import_roll, community_code=code, rows=rows, cipher=rt.cipher, source_name="test")
    return code


def set_id_number(rt: Runtime, owner_key: str, id_number: str, code: str = CODE) -> None:
    with rt.session_factory.begin() as s:
        owner = s.scalars(sa.select(Owner).where(Owner.key == owner_key)).one()
        owner.id_last4_enc = rt.cipher.encrypt(id_number[-4:], purpose=id_last4_purpose(owner.ref))
        owner.id_hmac = id_number_hmac(rt.cipher, id_number)


def plan(budget: int = 1_000_000, **sources: int) -> UsePlan:
    return UsePlan(
        repair="更换3号楼电梯",
        budget_fen=budget,
        sources=sources or {"maintenance_fund": budget},
        emergency="电梯故障时先行停运并通知物业",
    )


@dataclass
class OpenBallot:
    ref: str
    info: ballots.BallotInfo


def open_ballot(
    rt: Runtime,
    *,
    code: str = CODE,
    questions: Sequence[QuestionDraft] | None = None,
    start_now: bool = True,
    **kwargs: Any,
) -> ballots.BallotInfo:
    """A ballot drafted and opened; its window starts now (or in an hour) for seven days."""
    now = rt.clock.now()
    opens = now if start_now else now + timedelta(hours=1)
    info = rt.run(
        ballots.create_ballot,
        community_code=code,
        title="三号楼电梯更新",
        description="更换三号楼两部电梯,使用维修资金。",
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        questions=questions
        or [
            QuestionDraft("fund_use", "同意使用维修资金更换电梯?", plan(1_000_000)),
            QuestionDraft("other", "同意由业委会组织验收?"),
        ],
        **kwargs,
    )
    return rt.run(ballots.open_ballot, ballot_ref=info.ref)


def issue_all(rt: Runtime, ref: str) -> IssuedLinks:
    return rt.run(issue_links, ballot_ref=ref, base_url=BASE_URL)


def token_of(url: str) -> str:
    return url.rsplit("/v/", 1)[1]


def tokens_by_unit(issued: IssuedLinks) -> dict[str, str]:
    """Unit code -> token, for every unit of every issued link."""
    return {u: token_of(link.url) for link in issued.links for u in link.unit_codes}


def member_id_of(rt: Runtime, ref: str, unit: str) -> int:
    with rt.session_factory() as s:
        bid = ballots.ballot_id_for_ref(s, ref)
        member_id = s.scalar(
            sa.select(RollUnit.member_id).where(
                RollUnit.ballot_id == bid, RollUnit.unit_code == unit
            )
        )
        assert member_id is not None
        return int(member_id)


def member_key_of(rt: Runtime, member_id: int) -> str:
    with rt.session_factory() as s:
        return s.get_one(RollMember, member_id).member_key


def log_entries(rt: Runtime, code: str = CODE, prefix: str = "voting.") -> list[dict[str, Any]]:
    with rt.session_factory() as s:
        return [e.data for e in store.entries(s, code) if e.data["type"].startswith(prefix)]


def log_text(rt: Runtime, code: str = CODE) -> str:
    with rt.session_factory() as s:
        return "\n".join(e.body_bytes.decode() for e in store.entries(s, code))
