"""The standard chart of accounts as plain values (pure): every account's code, type, fund,
names, natural side and whether it may never be overdrawn (DOMAIN.md §4-§6).

Split from :mod:`ledger.chart` (which opens the accounts in the database) so the offline
verifier can tell which accounts are bounded without importing a database library.
"""

from __future__ import annotations

from dataclasses import dataclass


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


BOUNDED_CODES: frozenset[str] = frozenset(
    spec.code for spec in STANDARD_ACCOUNTS if spec.is_bounded
)
"""The standard accounts that may never be overdrawn (the bank accounts)."""


def is_bounded_code(code: str) -> bool:
    """Whether the account ``code`` may never cross zero on its natural side (the database's
    ``ck_ledger_account_not_overdrawn``): a bank account of :data:`BOUNDED_CODES` or a unit's
    sub-account ``2101.<unit>``."""
    return code in BOUNDED_CODES or code.startswith(UNIT_SUBACCOUNT.code + ".")
