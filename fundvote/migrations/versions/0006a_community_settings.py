"""community settings: their change history, and the settings frozen into a ballot at opening

- ``community_setting_change``: one row per change of a community's voting settings (who,
  when, old and new values, the cited basis, the transfer document's SHA-256, the log index).
- ``ballot.publicity_days`` may be NULL in a draft: the draft then follows the community's
  setting until it opens, when the value in force is frozen into it. Drafts made before this
  revision keep the number they were given.
- ``ballot.fund_holder``: who held the fund when the ballot opened (NULL in a draft); ballots
  opened before this revision get their community's current holder, which could not change
  before this revision.
- ``ballot.objections_flagged_at``: when ``fundvote tick`` logged that objections were left
  unanswered past the publicity period (logged once).

Revision ID: 0006a
Revises: 0006b
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006a'
down_revision = '0006b'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'community_setting_change',
        sa.Column('id', ID, nullable=False),
        sa.Column('community_id', ID, nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', ID, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('old_values', sa.Text(), nullable=False),
        sa.Column('new_values', sa.Text(), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('document_sha256', sa.String(length=64), nullable=True),
        sa.Column('log_index', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("basis <> ''", name=op.f('ck_community_setting_change_basis_not_empty')),
        sa.CheckConstraint(
            "kind IN ('rules', 'fund_holder')", name=op.f('ck_community_setting_change_kind')
        ),
        sa.ForeignKeyConstraint(
            ['community_id'], ['community.id'],
            name=op.f('fk_community_setting_change_community_id_community'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_setting_change')),
    )
    with op.batch_alter_table('community_setting_change', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_community_setting_change_community_id'), ['community_id'], unique=False
        )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('publicity_days', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('fund_holder', sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column('objections_flagged_at', sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE ballot SET fund_holder = (SELECT community.fund_holder FROM community "
        "WHERE community.id = ballot.community_id) WHERE opened_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE ballot SET publicity_days = (SELECT community.publicity_days FROM community "
        "WHERE community.id = ballot.community_id) WHERE publicity_days IS NULL"
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('objections_flagged_at')
        batch_op.drop_column('fund_holder')
        batch_op.alter_column('publicity_days', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('community_setting_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_setting_change_community_id'))
    op.drop_table('community_setting_change')
