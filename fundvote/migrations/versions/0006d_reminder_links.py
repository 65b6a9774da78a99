"""Reminder links: credential.is_reminder; one live own link and one live reminder link per member

Revision ID: 0006d
Revises: 0006v
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006d'
down_revision = '0006v'
branch_labels = None
depends_on = None

_LIVE = 'revoked_at IS NULL AND proxy_id IS NULL'  # as revision 0006b left it
_LIVE_LINK = 'revoked_at IS NULL AND proxy_id IS NULL AND NOT is_reminder'
_LIVE_REMINDER = 'revoked_at IS NULL AND is_reminder'


def upgrade() -> None:
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'is_reminder', sa.Boolean(), nullable=False, server_default=sa.false()
        ))
        batch_op.drop_index('uq_credential_live_member', sqlite_where=sa.text(_LIVE), postgresql_where=sa.text(_LIVE))
        batch_op.create_index('uq_credential_live_member', ['member_id'], unique=True, sqlite_where=sa.text(_LIVE_LINK), postgresql_where=sa.text(_LIVE_LINK))
        batch_op.create_index('uq_credential_live_reminder', ['member_id'], unique=True, sqlite_where=sa.text(_LIVE_REMINDER), postgresql_where=sa.text(_LIVE_REMINDER))


def downgrade() -> None:
    # Only one live link per member survives the downgrade: a member's reminder links are
    # revoked first (their messages stop working; the printed link stays live).
    op.execute(sa.text(
        "UPDATE credential SET revoked_at = issued_at WHERE is_reminder AND revoked_at IS NULL"
    ))
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_index('uq_credential_live_reminder', sqlite_where=sa.text(_LIVE_REMINDER), postgresql_where=sa.text(_LIVE_REMINDER))
        batch_op.drop_index('uq_credential_live_member', sqlite_where=sa.text(_LIVE_LINK), postgresql_where=sa.text(_LIVE_LINK))
        batch_op.create_index('uq_credential_live_member', ['member_id'], unique=True, sqlite_where=sa.text(_LIVE), postgresql_where=sa.text(_LIVE))
        batch_op.drop_column('is_reminder')
