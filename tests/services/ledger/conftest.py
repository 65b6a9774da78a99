"""Fixtures for the ledger's service tests: a community with three units and open books."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from ledger.api import EntryInfo, PostingLine, post_entry

CODE = "LG01"
ROLL = (
    "unit,building,area,owners,developer\n"
    "1-101,1,100.00,A1,\n"
    "1-102,1,80.50,B1,\n"
    "2-101,2,120.25,C1,\n"
)


@pytest.fixture
def books(runtime: Runtime) -> Runtime:
    runtime.run(create_community_with_books, code=CODE, name="账本小区")
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=ROLL.encode(),
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    return runtime


@pytest.fixture
def post(books: Runtime) -> Callable[..., EntryInfo]:
    def _post(*lines: tuple[str, int], actor: int | None = 1, **kw: Any) -> EntryInfo:
        kw.setdefault("kind", "deposit")
        kw.setdefault("value_date", date(2026, 1, 5))
        return books.run_as(
            actor,
            post_entry,
            community_code=CODE,
            lines=[PostingLine(a, n) for a, n in lines],
            **kw,
        )

    return _post
