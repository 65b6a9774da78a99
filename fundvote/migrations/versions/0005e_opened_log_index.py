"""ballot.opened_log_index: where the ballot's voting.ballot_opened entry is in the log

The integrity check of a ballot (run before tallying and publishing) reads the community's
log from that entry on, instead of from its start. Ballots opened before this revision keep
NULL and are checked from the start of the log.

Revision ID: 0005e
Revises: 0005d
Create Date: 2026-11-27 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005e'
down_revision = '0005d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_log_index', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('opened_log_index')
