"""The demo's books through the command line, as issue 10's Done-when spells it: the Beancount
export passes Beancount's own loader with no errors, the balances Beancount computes equal
``fundvote ledger balances demo``, and ``fundvote log verify demo`` finds the books equal to
the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fundvote.runtime import Runtime
from tests.cli.test_ledger_cli import Cli, beancount_balances


@pytest.fixture
def runtime(demo_runtime: Runtime) -> Runtime:
    """The demo, loaded once per run (these commands only read it)."""
    return demo_runtime


def test_the_demo_books_export_to_beancount_and_verify(
    cli: Cli, runtime: Runtime, tmp_path: Path
) -> None:
    out = tmp_path / "demo.beancount"
    exported = cli("ledger", "export-beancount", "demo", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    computed, _entries = beancount_balances(out)  # asserts the loader reports no error
    listed = cli("ledger", "balances", "demo", "--json")
    assert listed.exit_code == 0, listed.output
    ours = {a["code"]: a["balance_fen"] for a in json.loads(listed.output)["accounts"]}
    assert computed == ours
    assert ours["1001"] > 0 and sum(ours.values()) == 0
    verified = cli("log", "verify", "demo")
    assert verified.exit_code == 0, verified.output
    assert "clean" in verified.output
