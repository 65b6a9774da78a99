"""Identity and proxies: ID numbers kept as last four (encrypted) and a keyed HMAC; the
sms_code identity check and its one-time codes; committee-checked identities; proxies that
are any natural person, with links of their own

Revision ID: 0006b
Revises: 0005c
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006b'
down_revision = '0005c'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # fundvote never wrote owner.id_number_enc (the roll had no ID column): refuse to drop
    # data someone put there by hand rather than lose it silently.
    kept = op.get_bind().scalar(sa.text("SELECT count(*) FROM owner WHERE id_number_enc IS NOT NULL"))
    if kept:
        raise RuntimeError(
            f"{kept} owner row(s) hold owner.id_number_enc, which fundvote never writes: "
            "re-import the roll with an owner_ids column instead, clear that column, and upgrade again"
        )
    with op.batch_alter_table('owner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_last4_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('id_hmac', sa.String(length=64), nullable=True))
        batch_op.drop_column('id_number_enc')

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ballot_identity_check'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_ballot_identity_check'),
            "identity_check IN ('none', 'sms_code', 'id_last4', 'phone_last4')",
        )

    with op.batch_alter_table('proxy', schema=None) as batch_op:
        batch_op.alter_column('acting_member_id', existing_type=ID, nullable=True)
        batch_op.add_column(sa.Column('proxy_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('proxy_phone_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('proxy_id_hmac', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_proxy_one_proxy'), "(acting_member_id IS NULL) <> (proxy_name = '')"
        )

    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_id', ID, nullable=True))
        batch_op.add_column(sa.Column('identity_verified_by', ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_credential_proxy_id_proxy'), 'proxy', ['proxy_id'], ['id'])
        batch_op.drop_index('uq_credential_live_member')
        batch_op.create_index('uq_credential_live_member', ['member_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND proxy_id IS NULL'), postgresql_where=sa.text('revoked_at IS NULL AND proxy_id IS NULL'))
        batch_op.create_index('uq_credential_live_proxy', ['proxy_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND proxy_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND proxy_id IS NOT NULL'))

    op.create_table('identity_code',
    sa.Column('id', ID, nullable=False),
    sa.Column('credential_id', ID, nullable=False),
    sa.Column('code_hmac', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('expires_at > sent_at', name=op.f('ck_identity_code_expiry')),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_identity_code_credential_id_credential')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_code'))
    )
    with op.batch_alter_table('identity_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_code_credential_id'), ['credential_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_code_credential_id'))
    op.drop_table('identity_code')
    # Proxy links and natural-person proxies have no place in the older schema.
    op.execute(sa.text("DELETE FROM credential WHERE proxy_id IS NOT NULL"))
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_index('uq_credential_live_proxy')
        batch_op.drop_index('uq_credential_live_member')
        batch_op.create_index('uq_credential_live_member', ['member_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_constraint(batch_op.f('fk_credential_proxy_id_proxy'), type_='foreignkey')
        batch_op.drop_column('identity_verified_by')
        batch_op.drop_column('proxy_id')
    op.execute(sa.text("UPDATE cast_ballot SET proxy_id = NULL WHERE proxy_id IN (SELECT id FROM proxy WHERE acting_member_id IS NULL)"))
    op.execute(sa.text("DELETE FROM proxy WHERE acting_member_id IS NULL"))
    with op.batch_alter_table('proxy', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_proxy_one_proxy'), type_='check')
        batch_op.drop_column('proxy_id_hmac')
        batch_op.drop_column('proxy_phone_enc')
        batch_op.drop_column('proxy_name')
        batch_op.alter_column('acting_member_id', existing_type=ID, nullable=False)
    op.execute(sa.text("UPDATE ballot SET identity_check = 'none' WHERE identity_check = 'sms_code'"))
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ballot_identity_check'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_ballot_identity_check'),
            "identity_check IN ('none', 'id_last4', 'phone_last4')",
        )
    with op.batch_alter_table('owner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number_enc', sa.LargeBinary(), nullable=True))
        batch_op.drop_column('id_hmac')
        batch_op.drop_column('id_last4_enc')
