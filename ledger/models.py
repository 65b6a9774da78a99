"""Tables of the ledger: ledger_account, journal_entry, posting.

Money is integer fen. A posting's ``amount_fen`` is positive for a debit and negative for a
credit, so an entry's postings sum to zero and an account's balance is debits minus credits
(``ledger balances`` prints exactly that: a healthy unit sub-account is <= 0).

Entries and postings are written once and never changed: a correction is a new entry that
reverses the old one (``reverses_id``, at most one reversal per entry). On PostgreSQL triggers
refuse any UPDATE or DELETE of them (the one exception: an entry's ``log_index`` is filled in,
once, in the transaction that posts it) and a deferred constraint trigger refuses a commit
that leaves an entry unbalanced or with fewer than two postings (migration 0007a).

``ledger_account.balance_fen`` is the running balance, kept by the posting service in the
same transaction as the postings; a bounded account (a unit's sub-account, a bank account)
may never cross zero on its natural side, and the database refuses the row that would
(``ledger_account_not_overdrawn``). The account row's lock is what serialises concurrent
draws on one sub-account.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notary.orm import ID, Base, UTCDateTime

ACCOUNT_TYPES = ("asset", "liability", "net_assets", "income", "expense")
"""Account types; assets and expenses are debit-natured, the rest credit-natured."""
FUNDS = ("maintenance", "public_income", "project")
"""Which money an account belongs to: the maintenance fund, public income, or project money
from other sources (subsidy, social capital, owners paying directly)."""
NORMAL_SIDES = ("debit", "credit")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LedgerAccount(Base):
    """One account of a community's chart (``ledger.chart``)."""

    __tablename__ = "ledger_account"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"))
    code: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(40))
    type: Mapped[str] = mapped_column(sa.String(16))
    fund: Mapped[str] = mapped_column(sa.String(16))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    unit_id: Mapped[int | None] = mapped_column(ID, sa.ForeignKey("unit.id"), nullable=True)
    normal_side: Mapped[str] = mapped_column(sa.String(8))
    is_bounded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    balance_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("community_id", "code"),
        sa.Index(
            "uq_ledger_account_unit_kind",
            "community_id",
            "kind",
            "unit_id",
            unique=True,
        ),
        sa.CheckConstraint(_in("type", ACCOUNT_TYPES), name="type"),
        sa.CheckConstraint(_in("fund", FUNDS), name="fund"),
        sa.CheckConstraint(_in("normal_side", NORMAL_SIDES), name="normal_side"),
        sa.CheckConstraint("code <> ''", name="code_not_empty"),
        sa.CheckConstraint(
            "NOT is_bounded OR (normal_side = 'credit' AND balance_fen <= 0)"
            " OR (normal_side = 'debit' AND balance_fen >= 0)",
            name="not_overdrawn",
        ),
    )


class JournalEntry(Base):
    """One journal entry: its header. Its postings are :class:`Posting` rows."""

    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    value_date: Mapped[date] = mapped_column(sa.Date)
    memo: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # Canonical JSON object of document references: invoices, decision, project, emergency,
    # bank reference, file hash (ledger.journal.DOCUMENT_KEYS).
    documents: Mapped[str] = mapped_column(sa.Text, default="{}", server_default="{}")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by: Mapped[int | None] = mapped_column(ID, nullable=True)  # staff user id
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    reverses_id: Mapped[int | None] = mapped_column(
        ID, sa.ForeignKey("journal_entry.id"), nullable=True
    )
    is_legacy: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    legacy_file_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    log_index: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("community_id", "idempotency_key"),
        sa.UniqueConstraint("reverses_id"),
        sa.Index("ix_journal_entry_community_date", "community_id", "value_date", "id"),
        sa.CheckConstraint("NOT is_legacy OR legacy_file_sha256 IS NOT NULL", name="legacy_file"),
    )


class Posting(Base):
    """One line of an entry: an amount (debit > 0, credit < 0) on one account. The
    community and value date are copied from the entry so balances at a date are one indexed
    aggregate."""

    __tablename__ = "posting"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("journal_entry.id"), index=True)
    account_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("ledger_account.id"))
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"))
    value_date: Mapped[date] = mapped_column(sa.Date)
    position: Mapped[int] = mapped_column()
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "position"),
        sa.Index("ix_posting_account_date", "account_id", "value_date"),
        sa.Index("ix_posting_community_date", "community_id", "value_date"),
        sa.CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
    )
