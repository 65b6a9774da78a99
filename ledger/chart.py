"""A community's chart of accounts, and opening its books.

The chart is fixed (DOMAIN.md §4-§6): the maintenance fund's dedicated bank account, one
liability sub-account per unit (分户账), public income by kind with its reasonable costs and the
owners' public-income balance, project money received from the other sources, contractor
payables, warranty retention, and receivables from owners for shortfalls (one per unit, opened
when first needed). Codes are ASCII (they are also the Beancount account names' last part).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from estate.models import Unit
from ledger.models import LedgerAccount
from notary.work import UnitOfWork


@dataclass(frozen=True)
class AccountSpec:
    """One account of the standard chart: its kind (a stable name the services look it up
    by), code, type, fund, names, natural side and whether it may never be overdrawn."""

    kind: str
    code: str
    type: str
    fund: str
    name_zh: str
    name_en: str
    is_bounded: bool = False

    @property
    def normal_side(self) -> str:
        return "debit" if self.type in ("asset", "expense") else "credit"


STANDARD_ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec(
        "fund_bank",
        "1001",
        "asset",
        "maintenance",
        "维修资金专户存款",
        "Maintenance fund dedicated bank account",
        is_bounded=True,
    ),
    AccountSpec(
        "public_income_bank",
        "1002",
        "asset",
        "public_income",
        "公共收益账户存款",
        "Public income bank account",
        is_bounded=True,
    ),
    AccountSpec(
        "project_bank",
        "1003",
        "asset",
        "project",
        "项目资金存款",
        "Project money bank account",
        is_bounded=True,
    ),
    AccountSpec(
        "owner_receivable_control",
        "1201",
        "asset",
        "maintenance",
        "应收业主分摊款（汇总）",
        "Receivable from owners for shortfalls (control)",
    ),
    AccountSpec(
        "contractor_payable",
        "2201",
        "liability",
        "project",
        "应付施工单位款",
        "Payable to contractors",
    ),
    AccountSpec(
        "warranty_retention", "2202", "liability", "project", "质量保证金", "Warranty retention"
    ),
    AccountSpec(
        "subsidy_received",
        "2301",
        "liability",
        "project",
        "政府补助资金",
        "Government subsidy received",
    ),
    AccountSpec(
        "social_capital_received",
        "2302",
        "liability",
        "project",
        "社会资本投入",
        "Social capital received",
    ),
    AccountSpec(
        "owners_direct_received",
        "2303",
        "liability",
        "project",
        "业主直接出资",
        "Owners' direct contributions received",
    ),
    AccountSpec(
        "public_income_committed",
        "2304",
        "liability",
        "project",
        "公共收益投入项目资金",
        "Public income committed to projects",
    ),
    AccountSpec(
        "public_income_balance",
        "3101",
        "net_assets",
        "public_income",
        "业主共有公共收益结余",
        "Owners' public income balance",
    ),
    AccountSpec(
        "public_income_parking",
        "4101",
        "income",
        "public_income",
        "停车收益",
        "Public income: parking",
    ),
    AccountSpec(
        "public_income_advertising",
        "4102",
        "income",
        "public_income",
        "广告收益",
        "Public income: advertising",
    ),
    AccountSpec(
        "public_income_leasing",
        "4103",
        "income",
        "public_income",
        "场地租赁收益",
        "Public income: leasing",
    ),
    AccountSpec(
        "public_income_other",
        "4109",
        "income",
        "public_income",
        "其他公共收益",
        "Public income: other",
    ),
    AccountSpec(
        "public_income_costs",
        "5101",
        "expense",
        "public_income",
        "公共收益合理成本",
        "Reasonable costs of public income",
    ),
)
"""The standard chart, in code order."""

STANDARD_BY_KIND = {spec.kind: spec for spec in STANDARD_ACCOUNTS}

UNIT_SUBACCOUNT = AccountSpec(
    "unit_subaccount",
    "2101",
    "liability",
    "maintenance",
    "维修资金分户账",
    "Maintenance fund sub-account",
    is_bounded=True,
)
"""Each unit's maintenance-fund sub-account (分户账): code ``2101.<unit code>``."""

UNIT_RECEIVABLE = AccountSpec(
    "unit_receivable",
    "1202",
    "asset",
    "maintenance",
    "应收业主分摊款",
    "Receivable from the owner for a shortfall",
)
"""A unit's receivable for its share of a draw its sub-account could not cover (DOMAIN.md
§4.5): code ``1202.<unit code>``, opened when first needed."""

UNIT_SPECS = {UNIT_SUBACCOUNT.kind: UNIT_SUBACCOUNT, UNIT_RECEIVABLE.kind: UNIT_RECEIVABLE}


def unit_account_code(spec: AccountSpec, unit_code: str) -> str:
    """The code of ``unit_code``'s account of kind ``spec``: ``<spec code>.<unit code>``."""
    return f"{spec.code}.{unit_code}"


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
