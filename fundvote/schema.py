"""The database schema: every package's tables, and the Alembic upgrade that creates them."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

# Modules that define mapped tables. Each package that persists lists its models here once.
MODEL_MODULES: tuple[str, ...] = (
    "notary.store",
    "estate.models",
    "voting.models",
    "ledger.models",
    "ledger.report_models",
    "ledger.funds_models",
    "ledger.project_models",
    "fundvote.accounts",
)


def load_metadata() -> MetaData:
    """Import every models module and return the shared metadata they populate."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from notary.orm import Base

    return Base.metadata


def alembic_config(url: str) -> Config:
    """An Alembic configuration found from the installed package, not the working directory."""
    here = Path(__file__).resolve().parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Create the schema, or upgrade it to the newest revision; safe to run repeatedly."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
