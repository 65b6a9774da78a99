"""the ledger: ledger_account, journal_entry, posting; every community's books opened

- ``ledger_account``: a community's chart (``ledger.chart``) with each account's running
  balance; a bounded account (a unit's sub-account, a bank account) is never overdrawn
  (``ck_ledger_account_not_overdrawn``).
- ``journal_entry`` and ``posting``: entries in integer fen, written once. On PostgreSQL:
  ``ledger_append_only`` refuses any UPDATE or DELETE of them (except filling an entry's
  ``log_index`` once) and any posting added to an entry already logged;
  ``ledger_entry_balanced`` (deferred to the commit) refuses an entry whose postings do not
  sum to zero, number fewer than two, or that was never logged.
- Every existing community gets its standard accounts and a sub-account per unit.

Revision ID: 0007a
Revises: 0006d
Create Date: 2026-11-27 14:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007a"
down_revision = "0006d"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_APPEND_ONLY = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'journal_entry' THEN
    IF (to_jsonb(OLD) ->> 'log_index') IS NULL AND (to_jsonb(NEW) ->> 'log_index') IS NOT NULL
       AND (to_jsonb(NEW) - 'log_index') = (to_jsonb(OLD) - 'log_index') THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'ledger entries and postings are never changed'
    USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_append_only';
END $$;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON posting
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE FUNCTION ledger_refuse_late_posting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_postings n JOIN journal_entry e ON e.id = n.entry_id
             WHERE e.log_index IS NOT NULL) THEN
    RAISE EXCEPTION 'a logged entry takes no more postings'
      USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_append_only';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_posting_sealed AFTER INSERT ON posting
  REFERENCING NEW TABLE AS new_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_late_posting();
CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  total numeric;
  logged bigint;
BEGIN
  SELECT count(*), coalesce(sum(amount_fen), 0) INTO n, total
    FROM posting WHERE entry_id = NEW.id;
  SELECT log_index INTO logged FROM journal_entry WHERE id = NEW.id;
  IF n < 2 OR total <> 0 OR logged IS NULL THEN
    RAISE EXCEPTION 'entry % is unbalanced, has fewer than two postings or was not logged', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON journal_entry
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();
"""

_DROP = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON journal_entry;
DROP TRIGGER IF EXISTS ledger_posting_sealed ON posting;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON posting;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON journal_entry;
DROP FUNCTION IF EXISTS ledger_check_entry();
DROP FUNCTION IF EXISTS ledger_refuse_late_posting();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def upgrade() -> None:
    op.create_table(
        "ledger_account",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "community_id",
            ID,
            sa.ForeignKey("community.id", name="fk_ledger_account_community_id_community"),
            nullable=False,
        ),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("fund", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column(
            "unit_id",
            ID,
            sa.ForeignKey("unit.id", name="fk_ledger_account_unit_id_unit"),
            nullable=True,
        ),
        sa.Column("normal_side", sa.String(8), nullable=False),
        sa.Column("is_bounded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_account"),
        sa.UniqueConstraint("community_id", "code", name="uq_ledger_account_community_id_code"),
        sa.CheckConstraint(
            "type IN ('asset', 'liability', 'net_assets', 'income', 'expense')",
            name="ck_ledger_account_type",
        ),
        sa.CheckConstraint(
            "fund IN ('maintenance', 'public_income', 'project')", name="ck_ledger_account_fund"
        ),
        sa.CheckConstraint(
            "normal_side IN ('debit', 'credit')", name="ck_ledger_account_normal_side"
        ),
        sa.CheckConstraint("code <> ''", name="ck_ledger_account_code_not_empty"),
        sa.CheckConstraint(
            "NOT is_bounded OR (normal_side = 'credit' AND balance_fen <= 0)"
            " OR (normal_side = 'debit' AND balance_fen >= 0)",
            name="ck_ledger_account_not_overdrawn",
        ),
    )
    op.create_index(
        "uq_ledger_account_unit_kind",
        "ledger_account",
        ["community_id", "kind", "unit_id"],
        unique=True,
    )
    op.create_table(
        "journal_entry",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "community_id",
            ID,
            sa.ForeignKey("community.id", name="fk_journal_entry_community_id_community"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("memo", sa.String(500), nullable=False, server_default=""),
        sa.Column("documents", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_by", ID, nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column(
            "reverses_id",
            ID,
            sa.ForeignKey("journal_entry.id", name="fk_journal_entry_reverses_id_journal_entry"),
            nullable=True,
        ),
        sa.Column("is_legacy", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("legacy_file_sha256", sa.String(64), nullable=True),
        sa.Column("log_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_journal_entry"),
        sa.UniqueConstraint(
            "community_id", "idempotency_key", name="uq_journal_entry_community_id_idempotency_key"
        ),
        sa.UniqueConstraint("reverses_id", name="uq_journal_entry_reverses_id"),
        sa.CheckConstraint(
            "NOT is_legacy OR legacy_file_sha256 IS NOT NULL", name="ck_journal_entry_legacy_file"
        ),
    )
    op.create_index(
        "ix_journal_entry_community_date", "journal_entry", ["community_id", "value_date", "id"]
    )
    op.create_table(
        "posting",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "entry_id",
            ID,
            sa.ForeignKey("journal_entry.id", name="fk_posting_entry_id_journal_entry"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            ID,
            sa.ForeignKey("ledger_account.id", name="fk_posting_account_id_ledger_account"),
            nullable=False,
        ),
        sa.Column(
            "community_id",
            ID,
            sa.ForeignKey("community.id", name="fk_posting_community_id_community"),
            nullable=False,
        ),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_posting"),
        sa.UniqueConstraint("entry_id", "position", name="uq_posting_entry_id_position"),
        sa.CheckConstraint("amount_fen <> 0", name="ck_posting_amount_not_zero"),
    )
    op.create_index("ix_posting_entry_id", "posting", ["entry_id"])
    op.create_index("ix_posting_account_date", "posting", ["account_id", "value_date"])
    op.create_index("ix_posting_community_date", "posting", ["community_id", "value_date"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)
    _open_existing_books()


def _open_existing_books() -> None:
    from ledger.chart import STANDARD_ACCOUNTS, UNIT_SUBACCOUNT, unit_account_code

    bind = op.get_bind()
    now = datetime.now(UTC)
    from notary.orm import UTCDateTime

    account = sa.table(
        "ledger_account",
        *(
            sa.column(c)
            for c in (
                "community_id",
                "code",
                "kind",
                "type",
                "fund",
                "name_zh",
                "name_en",
                "unit_id",
                "normal_side",
                "is_bounded",
                "balance_fen",
            )
        ),
        sa.column("opened_at", UTCDateTime()),
    )

    def row(community_id, spec, code, unit_id=None, unit_code=""):
        return {
            "community_id": community_id,
            "code": code,
            "kind": spec.kind,
            "type": spec.type,
            "fund": spec.fund,
            "name_zh": f"{spec.name_zh} {unit_code}".strip(),
            "name_en": f"{spec.name_en} {unit_code}".strip(),
            "unit_id": unit_id,
            "normal_side": spec.normal_side,
            "is_bounded": spec.is_bounded,
            "balance_fen": 0,
            "opened_at": now,
        }

    for (community_id,) in bind.execute(sa.text("SELECT id FROM community ORDER BY id")).all():
        rows = [row(community_id, spec, spec.code) for spec in STANDARD_ACCOUNTS]
        units = bind.execute(
            sa.text("SELECT id, code FROM unit WHERE community_id = :c ORDER BY id"),
            {"c": community_id},
        ).all()
        rows += [
            row(
                community_id,
                UNIT_SUBACCOUNT,
                unit_account_code(UNIT_SUBACCOUNT, code),
                unit_id,
                code,
            )
            for unit_id, code in units
        ]
        bind.execute(sa.insert(account), rows)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP)
    op.drop_table("posting")
    op.drop_table("journal_entry")
    op.drop_table("ledger_account")
