"""log documents: bulk payloads moved out of log entries

- ``log_document``: the canonical JSON of a bulky entry field (a roll import's units, a batch
  of postings), named by its SHA-256 and referenced from the entry as ``{"$doc": sha256}``
  (``notary.documents``). Content-addressed: one row per log and hash.

Revision ID: 0008a
Revises: 0007c
Create Date: 2026-11-27 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008a"
down_revision = "0007c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_document",
        sa.Column("log", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("log", "sha256", name=op.f("pk_log_document")),
    )


def downgrade() -> None:
    op.drop_table("log_document")
