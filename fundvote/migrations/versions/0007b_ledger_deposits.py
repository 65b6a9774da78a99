"""ledger deposits: one row per deposit into a unit's sub-account (ledger.funds_models)

Each deposit, recorded one by one or imported from a bank statement, keeps its unit, value
date, amount, bank reference and whether it was the unit's first deposit (the top-up
baseline), beside the journal entry that posts it. Nothing to backfill: no deposit was
recorded before this revision.

Revision ID: 0007b
Revises: 0007d
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007b"
down_revision = '0007d'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_deposit",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "community_id",
            ID,
            sa.ForeignKey("community.id", name="fk_ledger_deposit_community_id_community"),
            nullable=False,
        ),
        sa.Column(
            "entry_id",
            ID,
            sa.ForeignKey("journal_entry.id", name="fk_ledger_deposit_entry_id_journal_entry"),
            nullable=False,
        ),
        sa.Column(
            "unit_id",
            ID,
            sa.ForeignKey("unit.id", name="fk_ledger_deposit_unit_id_unit"),
            nullable=False,
        ),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("bank_reference", sa.String(64), nullable=False),
        sa.Column("is_first", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_deposit"),
        sa.CheckConstraint("amount_fen > 0", name="ck_ledger_deposit_amount_positive"),
        sa.CheckConstraint(
            "bank_reference <> ''", name="ck_ledger_deposit_reference_not_empty"
        ),
    )
    op.create_index("ix_ledger_deposit_entry_id", "ledger_deposit", ["entry_id"])
    op.create_index("ix_ledger_deposit_unit_id", "ledger_deposit", ["unit_id"])
    op.create_index(
        "ix_ledger_deposit_reference", "ledger_deposit", ["community_id", "bank_reference"]
    )


def downgrade() -> None:
    op.drop_table("ledger_deposit")
