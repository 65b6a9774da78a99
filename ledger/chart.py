"""A community's chart of accounts, and opening its books.

The chart is fixed (DOMAIN.md §4-§6): the maintenance fund's dedicated bank account, one
liability sub-account per unit (分户账), public income by kind with its reasonable costs and the
owners' public-income balance, project money received from the other sources, contractor
payables, warranty retention, and receivables from owners for shortfalls (one per unit, opened
when first needed). Codes are ASCII (they are also the Beancount account names' last part).
"""

from __future__ import annotations

import sqlalchemy as sa

from estate.models import Unit
from ledger.chart_spec import (
    STANDARD_ACCOUNTS,
    STANDARD_BY_KIND,
    UNIT_RECEIVABLE,
    UNIT_SPECS,
    UNIT_SUBACCOUNT,
    AccountSpec,
    unit_account_code,
)
from ledger.models import LedgerAccount
from notary.work import UnitOfWork

__all__ = [
    "STANDARD_ACCOUNTS",
    "STANDARD_BY_KIND",
    "UNIT_RECEIVABLE",
    "UNIT_SPECS",
    "UNIT_SUBACCOUNT",
    "AccountSpec",
    "open_books",
    "open_unit_account",
    "unit_account_code",
]


def _row(
    community_id: int,
    spec: AccountSpec,
    now: object,
    *,
    code: str,
    unit_id: int | None = None,
    unit_code: str = "",
) -> dict[str, object]:
    return {
        "community_id": community_id,
        "code": code,
        "kind": spec.kind,
        "type": spec.type,
        "fund": spec.fund,
        "name_zh": f"{spec.name_zh} {unit_code}".strip(),
        "name_en": f"{spec.name_en} {unit_code}".strip(),
        "unit_id": unit_id,
        "normal_side": spec.normal_side,
        "is_bounded": spec.is_bounded,
        "balance_fen": 0,
        "opened_at": now,
    }


def open_books(uow: UnitOfWork, community_id: int) -> int:
    """Open ``community_id``'s books: every standard account it lacks, and a sub-account for
    every unit that has none. Returns how many accounts were opened (0 when the books were
    already complete: calling it again is harmless). Writes no log entry: an account holds
    nothing until an entry, which is logged, posts to it. Never commits."""
    s = uow.session
    now = uow.clock.now()
    have = set(
        s.scalars(
            sa.select(LedgerAccount.code).where(
                LedgerAccount.community_id == community_id,
                LedgerAccount.unit_id.is_(None),
            )
        )
    )
    rows = [
        _row(community_id, spec, now, code=spec.code)
        for spec in STANDARD_ACCOUNTS
        if spec.code not in have
    ]
    missing_units = s.execute(
        sa.select(Unit.id, Unit.code)
        .where(Unit.community_id == community_id)
        .where(
            ~sa.exists().where(
                LedgerAccount.unit_id == Unit.id,
                LedgerAccount.kind == UNIT_SUBACCOUNT.kind,
            )
        )
        .order_by(Unit.id)
    ).all()
    rows += [
        _row(
            community_id,
            UNIT_SUBACCOUNT,
            now,
            code=unit_account_code(UNIT_SUBACCOUNT, code),
            unit_id=unit_id,
            unit_code=code,
        )
        for unit_id, code in missing_units
    ]
    if rows:
        s.execute(sa.insert(LedgerAccount), rows)
    return len(rows)


def open_unit_account(uow: UnitOfWork, community_id: int, unit_code: str, kind: str) -> int:
    """The id of the unit's account of ``kind`` (``unit_subaccount`` or ``unit_receivable``),
    opening it first when the unit has none. ``LookupError`` for a unit not in the community.
    Never commits."""
    s = uow.session
    spec = UNIT_SPECS[kind]
    unit_id = s.scalar(
        sa.select(Unit.id).where(Unit.community_id == community_id, Unit.code == unit_code)
    )
    if unit_id is None:
        raise LookupError(unit_code)
    found = s.scalar(
        sa.select(LedgerAccount.id).where(
            LedgerAccount.community_id == community_id,
            LedgerAccount.kind == kind,
            LedgerAccount.unit_id == unit_id,
        )
    )
    if found is not None:
        return found
    row = _row(
        community_id,
        spec,
        uow.clock.now(),
        code=unit_account_code(spec, unit_code),
        unit_id=unit_id,
        unit_code=unit_code,
    )
    return int(
        s.execute(sa.insert(LedgerAccount).values(**row).returning(LedgerAccount.id)).scalar_one()
    )
