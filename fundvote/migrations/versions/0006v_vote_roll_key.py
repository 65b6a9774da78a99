"""cast_ballot refers to the frozen roll by (ballot_id, member_id)

A vote's two foreign keys (ballot, roll member) become one composite key to
``roll_member(ballot_id, id)``: it also proves that the member is on that ballot's roll, and a
cast no longer takes a key-share lock on the ballot's row, which every concurrent cast of the
ballot shared (PostgreSQL's multixacts). The index on ``cast_ballot.ballot_id`` goes: the
unique ``(ballot_id, member_id)`` index serves the same lookups.

Revision ID: 0006v
Revises: 0006a
Create Date: 2026-11-27 12:50:00
"""

from __future__ import annotations

from alembic import op

revision = '0006v'
down_revision = '0006a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('roll_member', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_roll_member_ballot_id_id'), ['ballot_id', 'id']
        )
    with op.batch_alter_table('cast_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cast_ballot_ballot_id'))
        batch_op.drop_constraint(batch_op.f('fk_cast_ballot_ballot_id_ballot'), type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_cast_ballot_member_id_roll_member'), type_='foreignkey'
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_cast_ballot_ballot_id_roll_member'),
            'roll_member',
            ['ballot_id', 'member_id'],
            ['ballot_id', 'id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('cast_ballot', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_cast_ballot_ballot_id_roll_member'), type_='foreignkey'
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_cast_ballot_member_id_roll_member'), 'roll_member', ['member_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_cast_ballot_ballot_id_ballot'), 'ballot', ['ballot_id'], ['id']
        )
        batch_op.create_index(batch_op.f('ix_cast_ballot_ballot_id'), ['ballot_id'], unique=False)
    with op.batch_alter_table('roll_member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_roll_member_ballot_id_id'), type_='unique')
