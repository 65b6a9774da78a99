"""Members' shares of a ``fund_use`` question's maintenance-fund part, stored at opening.

The apportionment runs once per question when the ballot opens (the roll is frozen then);
owner pages and casts read the stored figure instead of apportioning the whole roll again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.apportion import apportion
from voting.models import Question, RollShare, RollUnit


def fund_part_fen(use_plan: Mapping[str, Any]) -> int:
    """The maintenance fund's part (fen) of a stored use plan (0 when it pays nothing)."""
    return int((use_plan.get("sources") or {}).get("maintenance_fund", 0))


def member_shares(fund_part: int, units: Iterable[tuple[str, int, int]]) -> dict[int, int]:
    """Each member's share (fen) of ``fund_part`` apportioned by area over ``units``
    (``(unit_code, area_centi, member_id)``): the sum of its units' largest-remainder shares.

    Guarantees: the shares are non-negative integers that add up to ``fund_part`` exactly;
    every member with a unit has an entry.
    """
    units = list(units)
    by_unit = apportion(fund_part, {code: area for code, area, _member in units})
    shares: dict[int, int] = {}
    for code, _area, member in units:
        shares[member] = shares.get(member, 0) + by_unit[code]
    return shares


def store_shares(s: Session, ballot_id: int) -> int:
    """Compute and insert every roll member's share of each ``fund_use`` question's fund
    part (in the caller's transaction, after the roll is frozen); returns the rows written."""
    plans = [
        (position, json.loads(plan or "{}"))
        for position, plan in s.execute(
            sa.select(Question.position, Question.use_plan).where(
                Question.ballot_id == ballot_id, Question.use_plan.is_not(None)
            )
        )
    ]
    if not plans:
        return 0
    units = [
        (code, area, member)
        for code, area, member in s.execute(
            sa.select(RollUnit.unit_code, RollUnit.area_centi, RollUnit.member_id).where(
                RollUnit.ballot_id == ballot_id
            )
        )
    ]
    rows = [
        {"member_id": member, "position": position, "ballot_id": ballot_id, "share_fen": share}
        for position, plan in plans
        for member, share in member_shares(fund_part_fen(plan), units).items()
    ]
    if rows:
        s.execute(sa.insert(cast(sa.Table, RollShare.__table__)), rows)  # Core executemany
    return len(rows)


def shares_of(s: Session, member_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """Stored shares by ``(member_id, question position)`` for these members."""
    if not member_ids:
        return {}
    return {
        (member, position): share
        for member, position, share in s.execute(
            sa.select(RollShare.member_id, RollShare.position, RollShare.share_fen).where(
                RollShare.member_id.in_(list(member_ids))
            )
        )
    }
