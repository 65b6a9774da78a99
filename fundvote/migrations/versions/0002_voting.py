"""voting: ballots, frozen rolls, credentials, cast ballots

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:36:46.403217
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('ballot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('scope_kind', sa.String(length=16), nullable=False),
    sa.Column('scope_codes', sa.Text(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publicity_days', sa.Integer(), nullable=False),
    sa.Column('disclosure', sa.String(length=16), nullable=False),
    sa.Column('is_consultation', sa.Boolean(), nullable=False),
    sa.Column('identity_check', sa.String(length=16), nullable=False),
    sa.Column('deemed_majority_enabled', sa.Boolean(), nullable=False),
    sa.Column('binding_result', sa.String(length=16), nullable=False),
    sa.Column('roll_commitment', sa.String(length=64), nullable=True),
    sa.Column('roll_heads', sa.Integer(), nullable=False),
    sa.Column('roll_area_centi', sa.BigInteger(), nullable=False),
    sa.Column('notice_tree_size', sa.BigInteger(), nullable=True),
    sa.Column('notice_root', sa.String(length=64), nullable=True),
    sa.Column('notice_key_id', sa.String(length=16), nullable=True),
    sa.Column('annul_reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tallied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('final_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('annulled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("disclosure IN ('tracker', 'named')", name=op.f('ck_ballot_disclosure')),
    sa.CheckConstraint("identity_check IN ('none', 'id_last4', 'phone_last4')", name=op.f('ck_ballot_identity_check')),
    sa.CheckConstraint("scope_kind IN ('community', 'buildings', 'units')", name=op.f('ck_ballot_scope_kind')),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed', 'tallied', 'published', 'final', 'cancelled', 'annulled')", name=op.f('ck_ballot_status')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_ballot_window')),
    sa.CheckConstraint('publicity_days >= 0', name=op.f('ck_ballot_publicity_days')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_ballot_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('ref', name=op.f('uq_ballot_ref'))
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_community_id'), ['community_id'], unique=False)

    op.create_table('ballot_attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_attachment_ballot_id_ballot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_attachment')),
    sa.UniqueConstraint('ballot_id', 'sha256', name=op.f('uq_ballot_attachment_ballot_id_sha256'))
    )
    with op.batch_alter_table('ballot_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_attachment_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('ballot_question',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('matter', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('use_plan', sa.Text(), nullable=True),
    sa.CheckConstraint('position >= 1', name=op.f('ck_ballot_question_position')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_question_ballot_id_ballot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_question')),
    sa.UniqueConstraint('ballot_id', 'position', name=op.f('uq_ballot_question_ballot_id_position'))
    )
    with op.batch_alter_table('ballot_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_question_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('roll_member',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('member_key', sa.String(length=64), nullable=False),
    sa.Column('is_developer', sa.Boolean(), nullable=False),
    sa.Column('heads', sa.Integer(), nullable=False),
    sa.Column('area_centi', sa.BigInteger(), nullable=False),
    sa.Column('owner_refs', sa.Text(), nullable=False),
    sa.CheckConstraint('area_centi > 0', name=op.f('ck_roll_member_area_positive')),
    sa.CheckConstraint('heads = 1', name=op.f('ck_roll_member_one_head')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_roll_member_ballot_id_ballot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_member')),
    sa.UniqueConstraint('ballot_id', 'member_key', name=op.f('uq_roll_member_ballot_id_member_key')),
    sa.UniqueConstraint('ballot_id', 'position', name=op.f('uq_roll_member_ballot_id_position'))
    )
    with op.batch_alter_table('roll_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_member_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('credential',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('identity_failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('identity_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_credential_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_credential_member_id_roll_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_credential_token_hash'))
    )
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credential_member_id'), ['member_id'], unique=False)
        batch_op.create_index('uq_credential_live_member', ['member_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.Column('log_index', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_decision_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['question_id'], ['ballot_question.id'], name=op.f('fk_decision_question_id_ballot_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision')),
    sa.UniqueConstraint('question_id', name=op.f('uq_decision_question_id'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lodged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('is_upheld', sa.Boolean(), nullable=True),
    sa.Column('answered_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_objection_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_objection_member_id_roll_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection'))
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('paper_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entered_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scan_sha256', sa.String(length=64), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'counted', 'mismatch', 'conflict', 'void')", name=op.f('ck_paper_entry_status')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_paper_entry_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_paper_entry_member_id_roll_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entry'))
    )
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entry_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entry_member_id'), ['member_id'], unique=False)

    op.create_table('proxy',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('acting_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('authorization_sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('member_id <> acting_member_id', name=op.f('ck_proxy_not_self')),
    sa.ForeignKeyConstraint(['acting_member_id'], ['roll_member.id'], name=op.f('fk_proxy_acting_member_id_roll_member')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_proxy_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_proxy_member_id_roll_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy'))
    )
    with op.batch_alter_table('proxy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proxy_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index('uq_proxy_live_member', ['member_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('roll_unit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('building_code', sa.String(length=64), nullable=False),
    sa.Column('area_centi', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('area_centi > 0', name=op.f('ck_roll_unit_area_positive')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_roll_unit_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_roll_unit_member_id_roll_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_unit')),
    sa.UniqueConstraint('ballot_id', 'unit_code', name=op.f('uq_roll_unit_ballot_id_unit_code'))
    )
    with op.batch_alter_table('roll_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_unit_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roll_unit_member_id'), ['member_id'], unique=False)

    op.create_table('cast_ballot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ballot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('tracker', sa.String(length=64), nullable=False),
    sa.Column('proxy_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('log_index', sa.BigInteger(), nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=False),
    sa.CheckConstraint("channel IN ('online', 'paper', 'proxy')", name=op.f('ck_cast_ballot_channel')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_cast_ballot_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['member_id'], ['roll_member.id'], name=op.f('fk_cast_ballot_member_id_roll_member')),
    sa.ForeignKeyConstraint(['proxy_id'], ['proxy.id'], name=op.f('fk_cast_ballot_proxy_id_proxy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cast_ballot')),
    sa.UniqueConstraint('ballot_id', 'member_id', name=op.f('uq_cast_ballot_ballot_id_member_id')),
    sa.UniqueConstraint('tracker', name=op.f('uq_cast_ballot_tracker'))
    )
    with op.batch_alter_table('cast_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cast_ballot_ballot_id'), ['ballot_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('cast_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cast_ballot_ballot_id'))

    op.drop_table('cast_ballot')
    with op.batch_alter_table('roll_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_unit_member_id'))
        batch_op.drop_index(batch_op.f('ix_roll_unit_ballot_id'))

    op.drop_table('roll_unit')
    with op.batch_alter_table('proxy', schema=None) as batch_op:
        batch_op.drop_index('uq_proxy_live_member', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_proxy_ballot_id'))

    op.drop_table('proxy')
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entry_member_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entry_ballot_id'))

    op.drop_table('paper_entry')
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_ballot_id'))

    op.drop_table('objection')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_ballot_id'))

    op.drop_table('decision')
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_index('uq_credential_live_member', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_credential_member_id'))
        batch_op.drop_index(batch_op.f('ix_credential_ballot_id'))

    op.drop_table('credential')
    with op.batch_alter_table('roll_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_member_ballot_id'))

    op.drop_table('roll_member')
    with op.batch_alter_table('ballot_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_question_ballot_id'))

    op.drop_table('ballot_question')
    with op.batch_alter_table('ballot_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_attachment_ballot_id'))

    op.drop_table('ballot_attachment')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_community_id'))

    op.drop_table('ballot')

