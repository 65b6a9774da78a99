"""Fresh PostgreSQL databases for one benchmark run, dropped at the end."""

from __future__ import annotations

import os
import secrets

import sqlalchemy as sa

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
"""The PostgreSQL server the benchmarks create their databases on (no database name)."""


def _admin_engine() -> sa.Engine:
    return sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")


def create_database(label: str) -> str:
    """Create an empty database named after ``label`` and return its SQLAlchemy URL."""
    name = f"fvbench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{SERVER}/{name}"


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def drop_database(url: str) -> None:
    """Drop the database of ``url``, ending its remaining sessions first."""
    name = _database_name(url)
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def backend_pids(url: str) -> list[int]:
    """The process ids of the server's backends connected to the database of ``url`` (the
    server runs on this machine: the benchmarks read their CPU from ``/proc``)."""
    name = _database_name(url)
    engine = _admin_engine()
    with engine.connect() as conn:
        pids = conn.scalars(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
        ).all()
    engine.dispose()
    return [int(p) for p in pids]


def server_facts() -> dict[str, str]:
    """The server's version and the settings that decide durability of a commit."""
    engine = _admin_engine()
    with engine.connect() as conn:
        facts = {"version": str(conn.scalar(sa.text("SHOW server_version")))}
        for setting in ("synchronous_commit", "fsync", "wal_sync_method"):
            facts[setting] = str(conn.scalar(sa.text(f"SHOW {setting}")))
    engine.dispose()
    return facts
