"""Tables of the ledger's reports: owners' standing statement links and published reports.

- ``ledger_statement_link``: an owner's personal read-only link to their own units'
  statements. Only ``SHA-256(token)`` is stored (``voting.credentials.token_hash``); one live
  link per owner (a partial unique index): reissuing revokes the old one in the same
  transaction.
- ``ledger_publication``: a report published to owners (the annual maintenance-fund
  disclosure, a quarter's public-income statement), frozen by the SHA-256 of its canonical
  content and anchored by the log checkpoint signed when it was published. One publication
  per community, kind and period.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notary.orm import ID, Base, UTCDateTime

PUBLICATION_KINDS = ("fund_disclosure", "public_income")
"""What may be published: the annual fund disclosure (period ``YYYY``) and the quarterly
public-income statement (period ``YYYY-Qn``)."""


class StatementLink(Base):
    """An owner's standing link to their units' statements (read only)."""

    __tablename__ = "ledger_statement_link"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("owner.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[int | None] = mapped_column(ID, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.Index(
            "uq_ledger_statement_link_live",
            "owner_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )


class Publication(Base):
    """A report published to owners, frozen by its content hash and a signed checkpoint."""

    __tablename__ = "ledger_publication"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    community_id: Mapped[int] = mapped_column(ID, sa.ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    period: Mapped[str] = mapped_column(sa.String(16))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    log_index: Mapped[int] = mapped_column(sa.BigInteger)
    checkpoint_size: Mapped[int] = mapped_column(sa.BigInteger)
    checkpoint_root: Mapped[str] = mapped_column(sa.String(64))
    checkpoint_note: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ID, nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("community_id", "kind", "period"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(repr(k) for k in PUBLICATION_KINDS) + ")", name="kind"
        ),
    )
