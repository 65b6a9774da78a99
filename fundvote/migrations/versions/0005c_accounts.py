"""accounts: login sessions on the server, token expiry, lockout per client address, account events

Revision ID: 0005c
Revises: 0005e
Create Date: 2026-11-27 08:40:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0005c'
down_revision = '0005e'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
# Tokens issued before expiry existed get the default lifetime from the upgrade on.
EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    until = datetime.now(UTC) + timedelta(days=EXISTING_TOKEN_DAYS)
    if bind.dialect.name == 'sqlite':
        until = until.replace(tzinfo=None)  # stored as naive UTC there (notary.orm.UTCDateTime)
    bind.execute(sa.text('UPDATE api_token SET expires_at = :until'), {'until': until})
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)
        batch_op.create_index('ix_api_token_user_id', ['user_id'], unique=False)

    op.create_table('staff_session',
    sa.Column('id', ID, nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_session_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_staff_session_id_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index('ix_staff_session_user_id', ['user_id'], unique=False)

    op.create_table('login_failure',
    sa.Column('id', ID, nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locks', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_login_failure_failures')),
    sa.CheckConstraint('locks >= 0', name=op.f('ck_login_failure_locks')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_login_failure_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    sa.UniqueConstraint('user_id', 'client', name=op.f('uq_login_failure_user_id_client'))
    )

    op.create_table('account_event',
    sa.Column('id', ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', ID, nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.CheckConstraint("action IN ('disable', 'enable', 'reset_password', 'change_password', 'unlock', 'revoke_token')", name=op.f('ck_account_event_action')),
    sa.CheckConstraint("via IN ('web', 'api', 'cli')", name=op.f('ck_account_event_via')),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_account_event_actor_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_account_event_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_event'))
    )
    with op.batch_alter_table('account_event', schema=None) as batch_op:
        batch_op.create_index('ix_account_event_user_id', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('account_event')
    op.drop_table('login_failure')
    op.drop_table('staff_session')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index('ix_api_token_user_id')
        batch_op.drop_column('expires_at')
