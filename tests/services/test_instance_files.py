"""The instance folder and the files holding secrets or personal data (the SQLite database
with its WAL and SHM files, the key files, the session secret) are their owner's only: the
folder 0700, the files 0600, whatever the process umask, and fixed on start when an older
install left them readable by others."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fundvote.config import load_settings
from fundvote.runtime import build_runtime
from fundvote.schema import upgrade
from notary.clock import FixedClock


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, as on many servers: files would be world-readable by default."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _start(instance: Path, clock: FixedClock) -> None:
    """Start fundvote on the default SQLite database in ``instance`` and write to it."""
    settings = load_settings(
        {"FUNDVOTE_INSTANCE_PATH": str(instance), "FUNDVOTE_LOG_ORIGIN": "fundvote.test"}
    )
    runtime = build_runtime(settings, clock=clock)
    try:
        upgrade(runtime.engine)
        with runtime.engine.connect() as conn:  # WAL and SHM exist while a connection is open
            conn.execute(text("SELECT count(*) FROM community")).scalar()
            _assert_owner_only(instance)
    finally:
        runtime.engine.dispose()


def _assert_owner_only(instance: Path) -> None:
    assert _mode(instance) == 0o700
    names = {p.name for p in instance.iterdir()}
    assert {"fundvote.db", "fundvote.db-wal", "fundvote.db-shm"} <= names
    assert {"signing.key", "data.key", "secret_key"} <= names
    for path in instance.iterdir():
        expected = 0o700 if path.is_dir() else 0o600
        assert _mode(path) == expected, f"{path.name}: {oct(_mode(path))}"


def test_a_new_instance_is_owner_only(tmp_path: Path, clock: FixedClock, open_umask: None) -> None:
    _start(tmp_path / "instance", clock)


def test_an_existing_readable_instance_is_made_owner_only(
    tmp_path: Path, clock: FixedClock, open_umask: None
) -> None:
    instance = tmp_path / "instance"
    _start(instance, clock)
    instance.chmod(0o755)
    for path in instance.iterdir():
        path.chmod(0o755 if path.is_dir() else 0o644)
    _start(instance, clock)
