"""The migrations create exactly the schema the models describe, and re-running is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from fundvote.db import make_engine
from fundvote.schema import load_metadata, upgrade


def test_migrated_schema_matches_the_models(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            diff = compare_metadata(context, load_metadata())
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    try:
        before = sorted(inspect(engine).get_table_names())
        upgrade(engine)
        after = sorted(inspect(engine).get_table_names())
        assert before == after
        assert "alembic_version" in after
        assert {"community", "unit", "owner", "log_entry", "staff_user"} <= set(after)
    finally:
        engine.dispose()
