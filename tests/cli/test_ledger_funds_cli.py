"""``fundvote ledger deposit-import``: by the fund's holder, every row or none, once per
file; one line and exit 2 on bad input or a refusal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from fundvote.auth import add_user
from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from ledger.api import balances

Cli = Callable[..., Result]
CODE = "F1"
ROLL = "unit,building,area,owners,developer\n1-101,1,100.00,A1,\n1-102,1,80.50,B1,\n"


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    runtime.run(create_community_with_books, code=CODE, name="账本小区")
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=ROLL.encode(),
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    for name, role in (("li", "authority"), ("wang", "committee")):
        runtime.run(
            add_user,
            username=name,
            password="correct horse battery",
            role=role,
            communities=[CODE],
            display_name=name.title(),
        )
    return runtime


def test_deposit_import(rt: Runtime, cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "s.csv"
    good.write_text(
        "date,unit,amount,reference\n2026-01-02,1-101,12.34,R1\n2026-01-02,1-102,1,R2\n"
    )
    done = cli("ledger", "deposit-import", CODE, str(good), "--by", "li")
    assert done.exit_code == 0, done.output
    assert "2 deposits (2 first), 13.34 yuan" in done.output
    again = cli("ledger", "deposit-import", CODE, str(good), "--by", "li")
    assert again.exit_code == 0 and "nothing new was posted" in again.output
    assert {b.code: b.balance_fen for b in rt.query(balances, CODE)}["1001"] == 1_334

    refused = cli("ledger", "deposit-import", CODE, str(good), "--by", "wang")
    assert refused.exit_code == 2 and "holds the fund" in refused.output
    bad = tmp_path / "bad.csv"
    bad.write_text("date,unit,amount,reference\n2026-01-02,9-9,1,R3\n2026-01-32,1-101,1,R4\n")
    rejected = cli("ledger", "deposit-import", CODE, str(bad), "--by", "li")
    assert rejected.exit_code == 2
    assert "line 2, unit" in rejected.output and "(and 1 more problem)" in rejected.output
    every = cli("ledger", "deposit-import", CODE, str(bad), "--by", "li", "--all-problems")
    assert "line 3, date" in every.output
    missing = cli("ledger", "deposit-import", CODE, str(tmp_path / "none.csv"), "--by", "li")
    assert missing.exit_code == 2 and "no such file" in missing.output
