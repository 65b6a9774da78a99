"""ballot.roll_by_building: the frozen roll per building, stored when the roll is frozen

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 07:40:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roll_by_building', sa.Text(), nullable=True))
    bind = op.get_bind()
    frozen = bind.execute(sa.text(
        "SELECT id FROM ballot WHERE roll_commitment IS NOT NULL ORDER BY id"
    )).scalars().all()
    for ballot_id in frozen:
        rows = bind.execute(sa.text(
            "SELECT building_code, count(DISTINCT member_id), sum(area_centi) FROM roll_unit "
            "WHERE ballot_id = :b GROUP BY building_code"
        ), {"b": ballot_id}).all()
        figures = {code: [int(h), int(a)] for code, h, a in sorted(rows)}
        bind.execute(sa.text("UPDATE ballot SET roll_by_building = :f WHERE id = :b"),
                     {"f": json.dumps(figures), "b": ballot_id})


def downgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('roll_by_building')
