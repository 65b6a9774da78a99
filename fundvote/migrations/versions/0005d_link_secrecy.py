"""Secrecy of a cast vote and objection limits: credential.log_size_at_issue; objection's
credential_id and sequence (at most three per link)

Revision ID: 0005d
Revises: 0004
Create Date: 2026-11-27 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005d'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'log_size_at_issue', sa.BigInteger(), nullable=False, server_default='0'
        ))
    # A link issued after its member's vote was recorded must not show that vote: mark it as
    # issued after the vote's log entry (the votes of links issued before stay visible).
    op.execute(sa.text(
        "UPDATE credential SET log_size_at_issue = ("
        " SELECT v.log_index + 1 FROM cast_ballot v"
        " WHERE v.ballot_id = credential.ballot_id AND v.member_id = credential.member_id"
        " AND v.cast_at < credential.issued_at)"
        " WHERE EXISTS (SELECT 1 FROM cast_ballot v"
        " WHERE v.ballot_id = credential.ballot_id AND v.member_id = credential.member_id"
        " AND v.cast_at < credential.issued_at)"
    ))
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_objection_credential_id_credential'), 'credential', ['credential_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_objection_credential_id_sequence'), ['credential_id', 'sequence'])
        batch_op.create_check_constraint(batch_op.f('ck_objection_sequence'), 'sequence BETWEEN 1 AND 3')
        batch_op.create_check_constraint(batch_op.f('ck_objection_sequence_with_credential'), '(credential_id IS NULL) = (sequence IS NULL)')


def downgrade() -> None:
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_objection_sequence_with_credential'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_objection_sequence'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_objection_credential_id_sequence'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_objection_credential_id_credential'), type_='foreignkey')
        batch_op.drop_column('sequence')
        batch_op.drop_column('credential_id')
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_column('log_size_at_issue')
