"""Migration 0005c (accounts) keeps existing users, scopes and tokens, and gives existing tokens
an expiry. Runs on a scratch SQLite file: SQLite is where the table is rebuilt (batch mode)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import text

from fundvote.db import make_engine
from fundvote.schema import alembic_config


def _to(engine, revision: str, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_existing_tokens_survive_and_get_an_expiry(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _to(engine, "0005e")
        at = datetime(2026, 1, 1, 8, 0)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO community (id, code, name, address, created_at) "
                    "VALUES (1, 'demo', 'x', '', :at)"
                ),
                {"at": at},
            )
            conn.execute(
                text(
                    "INSERT INTO staff_user (id, username, display_name, role, password_hash, "
                    "is_active, failed_logins, created_at) "
                    "VALUES (1, 'lin', 'lin', 'committee', 'h', 1, 0, :at)"
                ),
                {"at": at},
            )
            conn.execute(text("INSERT INTO staff_community (user_id, community_id) VALUES (1, 1)"))
            conn.execute(
                text(
                    "INSERT INTO api_token (user_id, token_hash, label, created_at) "
                    "VALUES (1, :h, 'old', :at)"
                ),
                {"h": "0" * 64, "at": at},
            )
        _to(engine, "0005c")
        with engine.connect() as conn:
            (expires,) = conn.execute(text("SELECT expires_at FROM api_token")).one()
            assert conn.execute(text("SELECT count(*) FROM staff_community")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM staff_user")).scalar() == 1
        expires_at = datetime.fromisoformat(str(expires)).replace(tzinfo=UTC)
        expected = datetime.now(UTC) + timedelta(days=90)
        assert abs(expires_at - expected) < timedelta(minutes=5)
        _to(engine, "0005e", down=True)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_token")).scalar() == 1
    finally:
        engine.dispose()
