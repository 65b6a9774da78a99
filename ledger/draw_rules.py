"""How a draw is split and what it posts (pure: plain values in, plain values out).

A payment to the contractor charges the project's funding sources in proportion to their
amounts in the plan, and the maintenance-fund part of it the units in scope by area, with the
ledger's one rounding rule (``ledger.rounding``: largest remainder; sources tie in
``FUNDING_SOURCES`` order, units in ordinal unit-code order). Stages apportion the
*cumulative* amount and charge the difference from what earlier stages charged, so after the
last stage every source's and every unit's total is the apportionment of the grand total,
whatever the number of stages.

A unit whose sub-account holds less than its share pays what it holds; the rest (the
shortfall, never negative) stays payable to the contractor (2201) and becomes a receivable
from the unit's owner (1202.<unit>, DOMAIN.md §4.5). Warranty retention is the part of a
payment credited to 2202 instead of paid out; the money stays in the bank account it would
have left (the fund's 1001 or the project's 1003), split between them by largest remainder
in proportion to what each pays, and a later release pays it out from where it sits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from estate.quantities import Fen
from ledger.errors import N_, DrawExceedsBudget, InvalidDraw
from ledger.rounding import largest_remainder, stage_amounts

SOURCES: tuple[str, ...] = (
    "subsidy",
    "maintenance_fund",
    "social_capital",
    "public_income",
    "owners_direct",
)
"""The funding sources in ``voting.use_plans.FUNDING_SOURCES`` order (the tie-break order)."""

RECEIVED_ACCOUNT: Mapping[str, str] = MappingProxyType(
    {
        "subsidy": "2301",
        "social_capital": "2302",
        "owners_direct": "2303",
        "public_income": "2304",
    }
)
"""The liability account that holds each source's money received for projects (the
maintenance fund has none: it is drawn from the unit sub-accounts)."""

FUND_BANK = "1001"
PUBLIC_INCOME_BANK = "1002"
PROJECT_BANK = "1003"
CONTRACTOR_PAYABLE = "2201"
RETENTION = "2202"
PUBLIC_INCOME_BALANCE = "3101"


@dataclass(frozen=True)
class UnitCharge:
    """What a stage charges one unit: ``share_fen`` = ``paid_fen`` (from its sub-account) +
    ``shortfall_fen`` (owed by its owner, >= 0)."""

    unit_code: str
    share_fen: int
    paid_fen: int
    shortfall_fen: int


@dataclass(frozen=True)
class DrawSplit:
    """A stage's charges: each source (``SOURCES`` order) and each unit (code order)."""

    sources: Mapping[str, int]
    units: tuple[UnitCharge, ...]

    @property
    def paid_from_subaccounts_fen(self) -> int:
        return sum(u.paid_fen for u in self.units)

    @property
    def shortfall_fen(self) -> int:
        return sum(u.shortfall_fen for u in self.units)

    @property
    def other_sources_fen(self) -> int:
        """What the sources other than the maintenance fund pay (from the project bank)."""
        return sum(v for k, v in self.sources.items() if k != "maintenance_fund")


def unit_order(unit_areas: Mapping[str, int]) -> list[tuple[str, int]]:
    """Units as weights in ordinal code order (the units' tie-break order)."""
    return sorted(unit_areas.items())


def source_weights(plan: Mapping[str, int]) -> list[tuple[str, int]]:
    """The plan's source amounts as weights in ``SOURCES`` order."""
    return [(k, int(plan.get(k, 0))) for k in SOURCES]


def split_draw(
    *,
    plan: Mapping[str, int],
    unit_areas: Mapping[str, int],
    drawn_before_fen: int,
    amount_fen: int,
    sources_before: Mapping[str, int],
    units_before: Mapping[str, int],
    holdings: Mapping[str, int],
) -> DrawSplit:
    """Split a stage of ``amount_fen`` that brings the project's cumulative draws from
    ``drawn_before_fen`` to ``drawn_before_fen + amount_fen``.

    Guarantees: the source charges sum to ``amount_fen`` and are the apportionment of the new
    cumulative total by the plan's amounts minus ``sources_before``; the unit charges sum to
    the maintenance fund's charge and are the area apportionment of the maintenance fund's new
    cumulative total minus ``units_before``; a unit pays at most what its sub-account holds
    (``holdings``, natural balance, >= 0) and the shortfall is never negative. Refuses
    (``DrawExceedsBudget``) a cumulative total above the plan's budget and (``InvalidDraw``) a
    non-positive amount or a maintenance-fund part with no unit to apportion it over.
    """
    budget = sum(int(plan.get(k, 0)) for k in SOURCES)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidDraw(N_("A payment must be a positive amount."))
    if drawn_before_fen + amount_fen > budget:
        raise DrawExceedsBudget(
            N_(
                "The project's payments would reach %(total)s yuan, more than its budget of "
                "%(budget)s yuan."
            ),
            total=Fen(drawn_before_fen + amount_fen),
            budget=Fen(budget),
        )
    sources = stage_amounts(
        drawn_before_fen,
        amount_fen,
        source_weights(plan),
        {k: int(sources_before.get(k, 0)) for k in SOURCES},
    )
    fund_now = sources["maintenance_fund"]
    fund_before = int(sources_before.get("maintenance_fund", 0))
    units: list[UnitCharge] = []
    if fund_now or fund_before:
        weights = unit_order(unit_areas)
        if not weights or not any(w for _, w in weights):
            raise InvalidDraw(
                N_("The project has no units to apportion the maintenance fund over.")
            )
        before = {code: int(units_before.get(code, 0)) for code, _ in weights}
        if sum(before.values()) != fund_before:
            raise InvalidDraw(N_("The earlier stages' unit charges do not add up; nothing posted."))
        shares = stage_amounts(fund_before, fund_now, weights, before)
        for code, _ in weights:
            share = shares[code]
            if share == 0:
                continue
            held = max(0, int(holdings.get(code, 0)))
            paid = min(share, held) if share > 0 else share
            units.append(UnitCharge(code, share, paid, share - paid))
    return DrawSplit(MappingProxyType(dict(sources)), tuple(units))


def split_retention(
    retention_fen: int, fund_bank_fen: int, project_bank_fen: int
) -> tuple[int, int]:
    """Where retention ``retention_fen`` of a payment stays: ``(fund bank part, project bank
    part)``, by largest remainder in proportion to what each account pays out (negative
    amounts count as 0; ties go to the fund bank). Guarantees: the parts sum to
    ``retention_fen`` and neither exceeds what its account pays. ``InvalidDraw`` when the
    retention exceeds the cash paid."""
    fund = max(0, fund_bank_fen)
    project = max(0, project_bank_fen)
    if retention_fen < 0:
        raise InvalidDraw(N_("The retention must not be negative."))
    if retention_fen > fund + project:
        raise InvalidDraw(
            N_("The retention of %(retention)s yuan exceeds the %(paid)s yuan paid out now."),
            retention=Fen(retention_fen),
            paid=Fen(fund + project),
        )
    parts = largest_remainder(retention_fen, [(FUND_BANK, fund), (PROJECT_BANK, project)])
    return parts[FUND_BANK], parts[PROJECT_BANK]


def split_release(release_fen: int, held_fund_fen: int, held_project_fen: int) -> tuple[int, int]:
    """Which bank account a release of retention pays from: ``(fund bank, project bank)``,
    by largest remainder in proportion to the retention each still holds. Guarantees: the
    parts sum to ``release_fen`` and neither exceeds what is held there.
    ``DrawExceedsBudget`` for a release above the retention held."""
    if release_fen <= 0:
        raise InvalidDraw(N_("A release of retention must be a positive amount."))
    held = held_fund_fen + held_project_fen
    if release_fen > held:
        raise DrawExceedsBudget(
            N_("The release of %(amount)s yuan exceeds the %(held)s yuan of retention held."),
            amount=Fen(release_fen),
            held=Fen(held),
        )
    parts = largest_remainder(
        release_fen, [(FUND_BANK, held_fund_fen), (PROJECT_BANK, held_project_fen)]
    )
    return parts[FUND_BANK], parts[PROJECT_BANK]


def draw_lines(
    split: DrawSplit,
    retention: tuple[int, int],
    subaccount: Mapping[str, str],
    receivable: Mapping[str, str],
) -> list[tuple[str, int]]:
    """The postings of a payment (account code, debit > 0 / credit < 0), zero lines left
    out: each other source's received account and each unit's sub-account (what it pays) and
    receivable (its shortfall) are debited; the project bank (the other sources' part), the
    fund bank (what the sub-accounts pay), less the retention held in each, are credited, and
    so are warranty retention (2202) and the contractor payable (2201) for the shortfalls.
    ``subaccount``/``receivable`` map a unit code to its account codes. The lines sum to 0."""
    fund_retained, project_retained = retention
    lines: list[tuple[str, int]] = []
    for source in SOURCES:
        if source != "maintenance_fund":
            lines.append((RECEIVED_ACCOUNT[source], split.sources[source]))
    for unit in split.units:
        lines.append((subaccount[unit.unit_code], unit.paid_fen))
        if unit.shortfall_fen:
            lines.append((receivable[unit.unit_code], unit.shortfall_fen))
    lines.append((PROJECT_BANK, -(split.other_sources_fen - project_retained)))
    lines.append((FUND_BANK, -(split.paid_from_subaccounts_fen - fund_retained)))
    lines.append((RETENTION, -(fund_retained + project_retained)))
    lines.append((CONTRACTOR_PAYABLE, -split.shortfall_fen))
    return [(code, amount) for code, amount in lines if amount != 0]


def release_lines(fund_part: int, project_part: int) -> list[tuple[str, int]]:
    """The postings of a release of retention: debit 2202, credit the bank accounts that
    held it (zero lines left out)."""
    lines = [
        (RETENTION, fund_part + project_part),
        (FUND_BANK, -fund_part),
        (PROJECT_BANK, -project_part),
    ]
    return [(code, amount) for code, amount in lines if amount != 0]


def settleable_fen(receivable_balance_fen: int, payable_balance_fen: int) -> int:
    """The most a unit's owner can pay towards shortfalls now: what the unit's receivable
    holds (debits minus credits), and no more than the contractor payable still holds (its
    credit balance); never negative."""
    return max(min(receivable_balance_fen, -payable_balance_fen), 0)


def settlement_lines(receivable: str, amount_fen: int) -> list[tuple[str, int]]:
    """The postings of ``amount_fen`` paid by an owner towards shortfalls: debit the
    contractor payable (2201), credit the unit's receivable (``receivable``, its code)."""
    return [(CONTRACTOR_PAYABLE, amount_fen), (receivable, -amount_fen)]


def funding_lines(source: str, amount_fen: int) -> list[tuple[str, int]]:
    """The postings of ``amount_fen`` of ``source`` received for a project: the money into
    the project bank (1003) against the source's received account; public income moves from
    its bank account (1002) and is taken from the owners' public-income balance (3101) into
    the account of public income committed to projects (2304)."""
    if source not in RECEIVED_ACCOUNT:
        raise InvalidDraw(N_("Unknown funding source %(source)s."), source=str(source)[:40])
    if source == "public_income":
        return [
            (PROJECT_BANK, amount_fen),
            (PUBLIC_INCOME_BANK, -amount_fen),
            (PUBLIC_INCOME_BALANCE, amount_fen),
            (RECEIVED_ACCOUNT[source], -amount_fen),
        ]
    return [(PROJECT_BANK, amount_fen), (RECEIVED_ACCOUNT[source], -amount_fen)]
