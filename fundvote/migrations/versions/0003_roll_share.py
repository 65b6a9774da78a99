"""roll_share: members' shares of fund_use questions, stored when a ballot opens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:10:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('roll_share',
    sa.Column('member_id', ID, nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ballot_id', ID, nullable=False),
    sa.Column('share_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('share_fen >= 0', name=op.f('ck_roll_share_share_not_negative')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_roll_share_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_roll_share_member_id_roll_member')),
    sa.PrimaryKeyConstraint('member_id', 'position', name=op.f('pk_roll_share'))
    )
    with op.batch_alter_table('roll_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_share_ballot_id'), ['ballot_id'], unique=False)
    _backfill()


def _backfill() -> None:
    """Store the shares of every ballot already opened (its roll is frozen)."""
    from voting.shares import fund_part_fen, member_shares  # pure rules, no models

    bind = op.get_bind()
    plans = bind.execute(sa.text(
        "SELECT q.ballot_id, q.position, q.use_plan FROM ballot_question q "
        "JOIN ballot b ON b.id = q.ballot_id "
        "WHERE q.use_plan IS NOT NULL AND b.status <> 'draft' ORDER BY q.ballot_id, q.position"
    )).all()
    share = sa.table('roll_share', sa.column('member_id'), sa.column('position'),
                     sa.column('ballot_id'), sa.column('share_fen'))
    units_of: dict[int, list[tuple[str, int, int]]] = {}
    for ballot_id, position, plan in plans:
        if ballot_id not in units_of:
            units_of[ballot_id] = [tuple(row) for row in bind.execute(sa.text(
                "SELECT unit_code, area_centi, member_id FROM roll_unit WHERE ballot_id = :b"
            ), {"b": ballot_id})]
        units = units_of[ballot_id]
        if not units:
            continue
        shares = member_shares(fund_part_fen(json.loads(plan)), units)
        op.bulk_insert(share, [
            {"member_id": m, "position": position, "ballot_id": ballot_id, "share_fen": fen}
            for m, fen in shares.items()
        ])


def downgrade() -> None:
    with op.batch_alter_table('roll_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_share_ballot_id'))
    op.drop_table('roll_share')
