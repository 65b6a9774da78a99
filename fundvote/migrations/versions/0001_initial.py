"""initial schema: register, staff, evidence log

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:21:59.840710
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('community',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publicity_days', sa.Integer(), server_default='7', nullable=False),
    sa.Column('deemed_majority_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('binding_result', sa.String(length=16), server_default='plain', nullable=False),
    sa.Column('fund_holder', sa.String(length=16), server_default='authority', nullable=False),
    sa.CheckConstraint("binding_result IN ('plain', 'deemed')", name=op.f('ck_community_binding_result')),
    sa.CheckConstraint("fund_holder IN ('authority', 'assembly')", name=op.f('ck_community_fund_holder')),
    sa.CheckConstraint('publicity_days >= 0', name=op.f('ck_community_publicity_days_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community')),
    sa.UniqueConstraint('code', name=op.f('uq_community_code'))
    )
    op.create_table('log_head',
    sa.Column('log', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('frontier', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('log', name=op.f('pk_log_head'))
    )
    op.create_table('staff_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'committee', 'manager', 'authority', 'auditor')", name=op.f('ck_staff_user_role')),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_staff_user_failed_logins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_user_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_api_token_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    op.create_table('building',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_building_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building')),
    sa.UniqueConstraint('community_id', 'code', name=op.f('uq_building_community_id_code'))
    )
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_building_community_id'), ['community_id'], unique=False)

    op.create_table('log_checkpoint',
    sa.Column('log', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['log'], ['log_head.log'], name=op.f('fk_log_checkpoint_log_log_head')),
    sa.PrimaryKeyConstraint('log', 'size', name=op.f('pk_log_checkpoint'))
    )
    op.create_table('log_entry',
    sa.Column('log', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['log'], ['log_head.log'], name=op.f('fk_log_entry_log_log_head')),
    sa.PrimaryKeyConstraint('log', 'idx', name=op.f('pk_log_entry'))
    )
    op.create_table('log_node',
    sa.Column('log', sa.String(length=64), nullable=False),
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['log'], ['log_head.log'], name=op.f('fk_log_node_log_log_head')),
    sa.PrimaryKeyConstraint('log', 'level', 'idx', name=op.f('pk_log_node'))
    )
    op.create_table('owner',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('ref', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='person', nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("key <> ''", name=op.f('ck_owner_key_not_empty')),
    sa.CheckConstraint("kind IN ('person', 'organisation')", name=op.f('ck_owner_kind')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_owner_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner')),
    sa.UniqueConstraint('community_id', 'key', name=op.f('uq_owner_community_id_key')),
    sa.UniqueConstraint('ref', name=op.f('uq_owner_ref'))
    )
    with op.batch_alter_table('owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_community_id'), ['community_id'], unique=False)

    op.create_table('staff_community',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_staff_community_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_community_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_community')),
    sa.UniqueConstraint('user_id', 'community_id', name=op.f('uq_staff_community_user_id_community_id'))
    )
    op.create_table('unit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('community_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('building_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('area_centi', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='flat', nullable=False),
    sa.Column('is_developer_held', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.CheckConstraint("kind IN ('flat', 'shop', 'parking')", name=op.f('ck_unit_kind')),
    sa.CheckConstraint('area_centi > 0', name=op.f('ck_unit_area_positive')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_unit_building_id_building')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_unit_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('community_id', 'code', name=op.f('uq_unit_community_id_code'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_community_id'), ['community_id'], unique=False)

    op.create_table('unit_owner',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_unit_owner_owner_id_owner')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_owner_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_owner')),
    sa.UniqueConstraint('unit_id', 'owner_id', name=op.f('uq_unit_owner_unit_id_owner_id'))
    )
    with op.batch_alter_table('unit_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_owner_owner_id'), ['owner_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('unit_owner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_owner_owner_id'))

    op.drop_table('unit_owner')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_community_id'))
        batch_op.drop_index(batch_op.f('ix_unit_building_id'))

    op.drop_table('unit')
    op.drop_table('staff_community')
    with op.batch_alter_table('owner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_community_id'))

    op.drop_table('owner')
    op.drop_table('log_node')
    op.drop_table('log_entry')
    op.drop_table('log_checkpoint')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_building_community_id'))

    op.drop_table('building')
    op.drop_table('api_token')
    op.drop_table('staff_user')
    op.drop_table('log_head')
    op.drop_table('community')

