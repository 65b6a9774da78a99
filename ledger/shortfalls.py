"""Shortfalls owed by owners (补足, DOMAIN.md section 4.5), and their payment.

A draw charges each unit in scope its share; a sub-account that cannot cover it pays what it
holds and the rest (the shortfall) stays payable to the contractor (2201) and becomes a
receivable from the unit's owner (``1202.<unit>``, opened by the draw). This module lists
what owners owe and records what they pay: the owner's money settles the contractor's
payable for them, so the entry (``shortfall_settlement``) debits 2201 and credits the
unit's receivable. The money passes through the fund's bank account in and straight out
again, which leaves its balance unchanged; the bank reference of the owner's payment is kept
on the entry for reconciliation.

Who records it is whoever holds the fund (as for deposits): a fact the composition root
passes in (``may_record``). Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from estate.models import Unit
from estate.quantities import Fen
from ledger.chart import UNIT_RECEIVABLE, unit_account_code
from ledger.draw_rules import CONTRACTOR_PAYABLE, settleable_fen, settlement_lines
from ledger.errors import N_, BooksNotOpen
from ledger.funds import check_amount, check_reference, unit_id_of
from ledger.funds_errors import FundOperationForbidden, ShortfallNotOwed
from ledger.journal import EntryInfo, community_row, entry_under_key, lock_balances, post_entry
from ledger.models import LedgerAccount
from ledger.posting_rules import PostingLine
from notary.work import UnitOfWork


@dataclass(frozen=True)
class OwedShortfall:
    """What a unit's owner owes for shortfalls now (the receivable's debit balance)."""

    unit_code: str
    owed_fen: int


def owed_shortfalls(uow: UnitOfWork, community_code: str) -> list[OwedShortfall]:
    """Every unit whose owner owes something for shortfalls, in ordinal unit-code order
    (the ledger's unit order). Reads only."""
    s = uow.session
    community = community_row(s, community_code)
    rows = s.execute(
        sa.select(Unit.code, LedgerAccount.balance_fen)
        .join(LedgerAccount, LedgerAccount.unit_id == Unit.id)
        .where(
            LedgerAccount.community_id == community.id,
            LedgerAccount.kind == UNIT_RECEIVABLE.kind,
            LedgerAccount.balance_fen > 0,
        )
    ).all()
    owed = [OwedShortfall(code, int(balance)) for code, balance in rows]
    return sorted(owed, key=lambda o: o.unit_code)


def settle_shortfall(
    uow: UnitOfWork,
    *,
    community_code: str,
    may_record: bool,
    unit_code: str,
    amount_fen: int,
    value_date: date,
    bank_reference: str,
    memo: str = "",
    idempotency_key: str | None = None,
) -> EntryInfo:
    """Record ``amount_fen`` paid by the owner of ``unit_code`` towards what they owe for
    shortfalls: debit the contractor payable (2201), credit ``1202.<unit>``.

    Guarantees: only whoever holds the fund (``may_record``, else
    ``FundOperationForbidden``); the unit exists (``UnitNotInBooks``); the amount is positive
    whole fen and the bank reference well-formed (``InvalidEntry``); the amount is at most
    what the owner owes (``ShortfallNotOwed``, checked with the receivable's and the
    payable's rows locked, so concurrent payments cannot both pass); a retry with the same
    idempotency key returns the first entry. Never commits."""
    if not may_record:
        raise FundOperationForbidden(
            N_("Only whoever holds the fund records what owners pay for shortfalls.")
        )
    check_amount(amount_fen)
    reference = check_reference(bank_reference, required=True)
    s = uow.session
    community = community_row(s, community_code)
    unit_id_of(s, community.id, unit_code)
    receivable = unit_account_code(UNIT_RECEIVABLE, unit_code)
    accounts = dict(
        s.execute(
            sa.select(LedgerAccount.code, LedgerAccount.id).where(
                LedgerAccount.community_id == community.id,
                LedgerAccount.code.in_([receivable, CONTRACTOR_PAYABLE]),
            )
        ).all()
    )
    if CONTRACTOR_PAYABLE not in accounts:
        raise BooksNotOpen(N_("The books of this community are not open."))
    balances = lock_balances(uow, list(accounts.values()))
    owed = settleable_fen(
        balances.get(accounts.get(receivable, -1), 0), balances[accounts[CONTRACTOR_PAYABLE]]
    )
    is_retry = idempotency_key is not None and (
        entry_under_key(s, community.id, idempotency_key) is not None
    )
    if not is_retry and amount_fen > owed:
        raise ShortfallNotOwed(
            N_(
                "The owner of unit %(unit)s owes %(owed)s yuan, less than the %(amount)s yuan paid."
            ),
            unit=unit_code,
            owed=Fen(owed),
            amount=Fen(amount_fen),
        )
    return post_entry(
        uow,
        community_code=community.code,
        kind="shortfall_settlement",
        value_date=value_date,
        lines=[PostingLine(code, fen) for code, fen in settlement_lines(receivable, amount_fen)],
        memo=memo,
        documents={"bank_reference": reference},
        idempotency_key=idempotency_key,
    )
