"""ledger reports: owners' statement links and published reports

- ``ledger_statement_link``: an owner's standing read-only link to their units' statements,
  stored only as SHA-256 of the token; one live link per owner
  (``uq_ledger_statement_link_live``).
- ``ledger_publication``: the annual fund disclosure and quarterly public-income statements
  published to owners, with their content hash and the checkpoint that anchors them.

Revision ID: 0007d
Revises: 0007a
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007d"
down_revision = "0007a"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "ledger_statement_link",
        sa.Column("id", ID, nullable=False),
        sa.Column(
            "community_id",
            ID,
            _fk("ledger_statement_link", "community_id", "community"),
            nullable=False,
        ),
        sa.Column(
            "owner_id", ID, _fk("ledger_statement_link", "owner_id", "owner"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", ID, nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_statement_link"),
        sa.UniqueConstraint("token_hash", name="uq_ledger_statement_link_token_hash"),
    )
    op.create_index(
        "ix_ledger_statement_link_community_id", "ledger_statement_link", ["community_id"]
    )
    op.create_index("ix_ledger_statement_link_owner_id", "ledger_statement_link", ["owner_id"])
    op.create_index(
        "uq_ledger_statement_link_live",
        "ledger_statement_link",
        ["owner_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "ledger_publication",
        sa.Column("id", ID, nullable=False),
        sa.Column(
            "community_id",
            ID,
            _fk("ledger_publication", "community_id", "community"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_root", sa.String(64), nullable=False),
        sa.Column("checkpoint_note", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_publication"),
        sa.UniqueConstraint(
            "community_id", "kind", "period", name="uq_ledger_publication_community_id_kind_period"
        ),
        sa.CheckConstraint(
            "kind IN ('fund_disclosure', 'public_income')", name="ck_ledger_publication_kind"
        ),
    )
    op.create_index("ix_ledger_publication_community_id", "ledger_publication", ["community_id"])


def downgrade() -> None:
    op.drop_table("ledger_publication")
    op.drop_table("ledger_statement_link")
