"""Money into the fund and public income, as the pages, the JSON API and the command line
perform it (one use case each; ``ledger.funds`` holds the rules and the postings).

This module turns the acting staff user into the facts ``ledger`` takes:

- **deposits, statement imports, interest and owners' shortfall payments**: whoever holds
  the fund (the community
  setting ``fund_holder``, read with ``estate.api.current_settings``): an ``authority`` user
  overseeing the community while it is ``"authority"``, the ``committee`` once it is
  ``"assembly"`` (arts. 22-23 of the 2007 measures);
- **public income and its costs**: the ``manager`` or the ``committee``;
- **transfers of public income into the fund**: the ``committee`` (its decision, cited).

Reads (deposits, top-up alerts, reconciliation, the public-income summary) are open to the
community's staff that the routes admit. An admin is never implied.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from estate.api import current_settings
from fundvote.auth import Principal
from fundvote.books import community_id
from fundvote.runtime import Runtime
from ledger.api import (
    EntryInfo,
    InterestAllocation,
    PublicIncomeTransfer,
    StatementImport,
    allocate_interest_entry,
    import_statement,
    record_deposit,
    record_public_income,
    record_public_income_cost,
    settle_shortfall,
    transfer_public_income,
)

HOLDER_ROLE = {"authority": "authority", "assembly": "committee"}
"""The staff role that holds the fund, by the community's ``fund_holder`` setting."""
DEPOSIT_ROLES = ("authority", "committee")
"""Roles a deposit route admits; which of them may record is decided by the setting."""
PUBLIC_INCOME_ROLES = ("manager", "committee")
TRANSFER_ROLES = ("committee",)
READ_ROLES = ("committee", "manager", "authority", "auditor")
"""Staff who read the fund's deposits, alerts, reconciliation and public income."""


def holder_role(rt: Runtime, code: str) -> str:
    """The role that holds the community's fund now (``authority`` or ``committee``)."""
    return HOLDER_ROLE[rt.query(current_settings, code).fund_holder]


def may_record_deposits(rt: Runtime, principal: Principal | None, code: str) -> bool:
    """Whether ``principal`` holds the community's fund: may record deposits, imports,
    interest and what owners pay for shortfalls."""
    if principal is None or principal.role not in DEPOSIT_ROLES:
        return False
    return principal.may_act_for(community_id(rt, code)) and principal.role == holder_role(rt, code)


def may_record_public_income(rt: Runtime, principal: Principal | None, code: str) -> bool:
    """Whether ``principal`` may record public income and its costs (manager, committee)."""
    return (
        principal is not None
        and principal.role in PUBLIC_INCOME_ROLES
        and principal.may_act_for(community_id(rt, code))
    )


def may_transfer_public_income(rt: Runtime, principal: Principal | None, code: str) -> bool:
    """Whether ``principal`` may transfer public income into the fund (the committee)."""
    return (
        principal is not None
        and principal.role in TRANSFER_ROLES
        and principal.may_act_for(community_id(rt, code))
    )


def deposit_as(rt: Runtime, principal: Principal, code: str, **fields: Any) -> EntryInfo:
    """Record one deposit as ``principal`` (``ledger.record_deposit``: every guarantee and
    refusal; ``FundOperationForbidden`` unless they hold the fund)."""
    return rt.run_as(
        principal.user_id,
        record_deposit,
        community_code=code,
        may_record=may_record_deposits(rt, principal, code),
        **fields,
    )


def settle_shortfall_as(rt: Runtime, principal: Principal, code: str, **fields: Any) -> EntryInfo:
    """Record what an owner paid for shortfalls as ``principal`` (``ledger.settle_shortfall``:
    every guarantee and refusal; ``FundOperationForbidden`` unless they hold the fund)."""
    return rt.run_as(
        principal.user_id,
        settle_shortfall,
        community_code=code,
        may_record=may_record_deposits(rt, principal, code),
        **fields,
    )


def import_statement_as(
    rt: Runtime, principal: Principal, code: str, *, data: bytes, filename: str
) -> StatementImport:
    """Import a bank statement as ``principal`` (``ledger.import_statement``)."""
    return rt.run_as(
        principal.user_id,
        import_statement,
        community_code=code,
        may_record=may_record_deposits(rt, principal, code),
        data=data,
        filename=filename,
    )


def allocate_interest_as(
    rt: Runtime, principal: Principal, code: str, **fields: Any
) -> InterestAllocation:
    """Allocate a period's interest as ``principal`` (``ledger.allocate_interest_entry``)."""
    return rt.run_as(
        principal.user_id,
        allocate_interest_entry,
        community_code=code,
        may_record=may_record_deposits(rt, principal, code),
        **fields,
    )


def public_income_as(
    rt: Runtime, principal: Principal, code: str, *, kind: str, amount_fen: int, **fields: Any
) -> EntryInfo:
    """Record public income received (``kind`` one of parking, advertising, leasing, other)
    or, with ``kind="cost"``, a reasonable cost paid out of it, as ``principal``."""
    may = may_record_public_income(rt, principal, code)
    if kind == "cost":
        return rt.run_as(
            principal.user_id,
            record_public_income_cost,
            community_code=code,
            may_record=may,
            amount_fen=amount_fen,
            **fields,
        )
    return rt.run_as(
        principal.user_id,
        record_public_income,
        community_code=code,
        may_record=may,
        kind=kind,
        amount_fen=amount_fen,
        **fields,
    )


def transfer_as(
    rt: Runtime,
    principal: Principal,
    code: str,
    *,
    amount_fen: int,
    value_date: date,
    decision: str,
    memo: str = "",
) -> PublicIncomeTransfer:
    """Transfer public income into the fund as ``principal`` (the committee), credited to
    every unit by area (``ledger.transfer_public_income``)."""
    return rt.run_as(
        principal.user_id,
        transfer_public_income,
        community_code=code,
        may_transfer=may_transfer_public_income(rt, principal, code),
        amount_fen=amount_fen,
        value_date=value_date,
        decision=decision,
        memo=memo,
    )
