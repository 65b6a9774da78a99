"""The ledger's record of deposits: one row per deposit a bank statement line or a form
records, beside the journal entry that posts it.

A deposit import posts one entry for the whole file (``ledger.funds``), so the entry alone
cannot say which bank transaction credited which unit; this table keeps, for each deposit, its
unit, amount, value date, bank reference and whether it was the unit's first deposit (the
baseline of the top-up rule, Decree 165 art. 17). Bank reconciliation matches statement lines
against these rows by reference and amount. Rows are written once with their entry and never
changed; a deposit whose entry was reversed no longer counts (``ledger.funds`` joins the
reversal).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notary.orm import ID, Base


class LedgerDeposit(Base):
    """One deposit into a unit's sub-account, as the bank reported it."""

    __tablename__ = "ledger_deposit"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"))
    entry_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("journal_entry.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("unit.id"), index=True)
    value_date: Mapped[date] = mapped_column(sa.Date)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    bank_reference: Mapped[str] = mapped_column(sa.String(64))
    is_first: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    line: Mapped[int | None] = mapped_column(nullable=True)  # the statement line, for imports

    __table_args__ = (
        sa.Index("ix_ledger_deposit_reference", "community_id", "bank_reference"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("bank_reference <> ''", name="reference_not_empty"),
    )
