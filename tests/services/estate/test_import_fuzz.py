"""Fuzzing the roll import through the real unit of work (SQLite and PostgreSQL): every
file either imports or is refused with ``RollRejected`` (never another exception, so never a
500 or a traceback), and a refused file leaves every table as it was."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from estate.errors import RollRejected
from estate.services import import_roll_file
from fundvote.runtime import Runtime
from fundvote.schema import load_metadata
from tests.fuzz_files import csv_text, xlsx_bytes

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _everything(rt: Runtime) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order."""
    with rt.engine.connect() as conn:
        return {
            t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr)
            for t in load_metadata().sorted_tables
        }


def _import_or_refuse(rt: Runtime, data: bytes, name: str) -> None:
    before = _everything(rt)
    try:
        rt.run(import_roll_file, community_code="JB01", data=data, filename=name, cipher=rt.cipher)
    except RollRejected as exc:
        assert exc.problems
        assert _everything(rt) == before


@pytest.fixture
def fuzz_runtime(runtime: Runtime, community: str) -> Runtime:
    return runtime


@FUZZ
@given(data=csv_text())
def test_csv_imports_or_is_refused_without_a_trace(fuzz_runtime: Runtime, data: bytes) -> None:
    _import_or_refuse(fuzz_runtime, data, "fuzz.csv")


@FUZZ
@given(data=xlsx_bytes())
def test_xlsx_imports_or_is_refused_without_a_trace(fuzz_runtime: Runtime, data: bytes) -> None:
    _import_or_refuse(fuzz_runtime, data, "fuzz.xlsx")
