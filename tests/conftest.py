"""Shared fixtures: a fresh database per test run (SQLite, or PostgreSQL when
``FUNDVOTE_TEST_DATABASE_URL`` is set), emptied after every test; a fixed clock; keys in tmp."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fundvote import auth
from fundvote.config import Settings, load_settings
from fundvote.runtime import Runtime, build_runtime
from fundvote.schema import load_metadata, upgrade
from notary.clock import FixedClock

if TYPE_CHECKING:
    from fundvote.demo import DemoReport

PG_URL = os.environ.get("FUNDVOTE_TEST_DATABASE_URL")

SHIPPED_HASHER = auth._hasher
"""The password hasher as the service ships it (the suite swaps in a cheap one)."""

requires_postgres = pytest.mark.skipif(
    not PG_URL, reason="set FUNDVOTE_TEST_DATABASE_URL to run PostgreSQL tests"
)


DEMO_MODULES = frozenset(
    {
        "tests/cli/test_demo_books_cli.py",
        "tests/services/audit/test_bundle_demo.py",
        "tests/services/audit/test_tamper.py",
        "tests/services/audit/test_verify_ledger_demo.py",
        "tests/services/demo/test_demo.py",
    }
)
"""The modules whose tests read the loaded demo (``demo_runtime``): ``make test`` runs them
all on one worker, so the demo is loaded once per run, not once per worker."""


def pytest_itemcollected(item: pytest.Item) -> None:
    """A test that reads the loaded demo must be in one of ``DEMO_MODULES``."""
    if {"demo_runtime", "loaded_demo"} & set(getattr(item, "fixturenames", ())):
        module = item.nodeid.split("::", 1)[0]
        if module not in DEMO_MODULES:
            raise pytest.UsageError(
                f"{module} reads the loaded demo: add it to DEMO_MODULES in tests/conftest.py"
            )


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """For ``--dist loadgroup`` (``make test``): xdist's groups, and every test of
    ``DEMO_MODULES`` in one group, which as the largest is handed out first. (The
    ``xdist_group`` marker alone cannot do it here: xdist 3.8 writes the group into a node
    attribute pytest 9 no longer reads.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class DemoOnOneWorker(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in DEMO_MODULES:
                return "demo"
            return str(super()._split_scope(nodeid))

    return DemoOnOneWorker(config, log)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id at its cheapest parameters for the in-process tests: at the production
    parameters every user created and every login costs a tenth of a second or more, and
    the suite creates thousands. Servers the tests start as processes, and
    ``test_production_hashes_use_the_recommended_parameters``, keep the real ones."""
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    auth._dummy_hash.cache_clear()
    try:
        yield
    finally:
        auth._hasher = SHIPPED_HASHER
        auth._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for this test run only: created here, dropped at the end."""
    yield from _new_database(tmp_path_factory, "test")


def _new_database(tmp_path_factory: pytest.TempPathFactory, label: str) -> Iterator[str]:
    if not PG_URL:
        path = tmp_path_factory.mktemp("db") / f"fundvote-{label}.db"
        yield f"sqlite:///{path}"
        return
    server = make_url(PG_URL)
    name = f"fundvote_{label}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # Tests need no durability: commits do not wait for the disk (the code that must wait,
        # fundvote.db.wait_until_durable, asks for it itself and its test checks it).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """The test database with the schema created by the real migrations."""
    from fundvote.db import make_engine

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return database_url


def _settings(url: str, tmp: Path) -> Settings:
    return load_settings(
        {
            "FUNDVOTE_INSTANCE_PATH": str(tmp / "instance"),
            "FUNDVOTE_DATABASE_URL": url,
            "FUNDVOTE_SECRET_KEY": "test-secret-key",
            "FUNDVOTE_LOG_ORIGIN": "fundvote.test",
            # Journeys move the test clock by days while a client stays logged in; the tests
            # of session lifetimes set their own (tests/http/test_accounts.py).
            "FUNDVOTE_SESSION_IDLE_MINUTES": str(60 * 24 * 365),
            "FUNDVOTE_SESSION_MAX_HOURS": str(24 * 365),
        }
    )


@dataclass(frozen=True)
class LoadedDemo:
    """The demo loaded into a database of its own, and what ``load_demo`` reported."""

    runtime: Runtime
    report: DemoReport


@pytest.fixture(scope="session")
def demo_runtime(loaded_demo: LoadedDemo) -> Runtime:
    """A runtime over a database of its own in which the demo is loaded, once per run
    (loading takes half a minute) and shared by the tests that only READ the demo: its bundle,
    its books, its log. A test that writes must load the demo into ``runtime`` instead."""
    return loaded_demo.runtime


@pytest.fixture(scope="session")
def loaded_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedDemo]:
    """The demo, loaded once per run (see ``demo_runtime``), with its load report."""
    from fundvote.db import make_engine
    from fundvote.demo import load_demo

    for url in _new_database(tmp_path_factory, "demo"):
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        tmp = tmp_path_factory.mktemp("demo")
        rt = build_runtime(
            _settings(url, tmp), clock=FixedClock(datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
        )
        try:
            report = load_demo(rt)
            assert report.loaded
            yield LoadedDemo(rt, report)
        finally:
            rt.engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(migrated_url: str, tmp_path: Path) -> Settings:
    return _settings(migrated_url, tmp_path)


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    """A runtime on the migrated test database; every table is emptied afterwards."""
    rt = build_runtime(settings, clock=clock)
    try:
        yield rt
        # A connection still checked out here belongs to a session or result nobody closed;
        # disposing the engine would orphan it and it would be reported, much later, as a
        # ResourceWarning in whichever test the garbage collector happens to run.
        leaked = rt.engine.pool.checkedout()  # type: ignore[attr-defined]
        assert leaked == 0, f"{leaked} database connection(s) still checked out after the test"
    finally:
        _empty_all_tables(rt)
        rt.engine.dispose()


def _empty_all_tables(rt: Runtime) -> None:
    tables = list(reversed(load_metadata().sorted_tables))
    with rt.engine.begin() as conn:
        if rt.engine.dialect.name == "postgresql":
            # DELETE (children first) and sequences back to 1, in one round trip: much faster
            # than TRUNCATE on tables this small.
            # Table names from our own metadata, never from input.
            deletes = "".join(f'DELETE FROM "{t.name}"; ' for t in tables)  # noqa: S608
            reset = "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"
            # The ledger's append-only triggers refuse DELETE: a test database is the one
            # place they are switched off (replica role, this transaction only).
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica; " + deletes + reset)
        else:
            for table in tables:
                conn.execute(table.delete())
