"""Migration 0006a (community settings): ballots opened before it get their community's fund
holder, drafts keep their publicity period, a draft may then follow the community (NULL), and
the downgrade gives such a draft the community's period back. Runs on a scratch SQLite file
(the ballot table is rebuilt in batch mode there)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from fundvote.db import make_engine

from .test_migration_0005c import _to

BALLOT = (
    "INSERT INTO ballot (id, community_id, ref, title, description, status, scope_kind, "
    "scope_codes, opens_at, closes_at, publicity_days, disclosure, is_consultation, "
    "identity_check, deemed_majority_enabled, binding_result, roll_heads, roll_area_centi, "
    "annul_reason, created_at, opened_at) VALUES (:id, 1, :ref, 't', '', :status, "
    "'community', '[]', :at, :closes, :days, 'tracker', 0, 'none', 0, 'plain', 0, 0, '', :at, "
    ":opened)"
)


def test_opened_ballots_get_the_fund_holder_and_drafts_keep_their_period(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _to(engine, "0005c")
        at = datetime(2026, 1, 1, 8, 0)
        closes = datetime(2026, 1, 8, 8, 0)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO community (id, code, name, address, created_at, fund_holder, "
                    "publicity_days) VALUES (1, 'demo', 'x', '', :at, 'assembly', 9)"
                ),
                {"at": at},
            )
            conn.execute(
                text(BALLOT),
                {"id": 1, "ref": "open1", "status": "open", "at": at, "closes": closes,
                 "days": 5, "opened": at},
            )  # fmt: skip
            conn.execute(
                text(BALLOT),
                {"id": 2, "ref": "draft1", "status": "draft", "at": at, "closes": closes,
                 "days": 3, "opened": None},
            )  # fmt: skip
        _to(engine, "0006a")
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT ref, fund_holder, publicity_days FROM ballot ORDER BY id")
            ).all()
            assert [tuple(r) for r in rows] == [("open1", "assembly", 5), ("draft1", None, 3)]
            conn.execute(text("UPDATE ballot SET publicity_days = NULL WHERE ref = 'draft1'"))
        _to(engine, "0005c", down=True)
        with engine.connect() as conn:
            days = conn.execute(text("SELECT publicity_days FROM ballot WHERE ref = 'draft1'"))
            assert days.scalar() == 9
    finally:
        engine.dispose()
