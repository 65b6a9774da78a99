"""The benchmark harness runs at tiny sizes and writes results.json in its documented shape.

No timing is asserted here: figures are for ``make bench`` to print, never for tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *names: str) -> dict[str, dict[str, object]]:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick", "--output", str(out), *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, dict[str, object]] = json.loads(out.read_text(encoding="utf-8"))
    for name, figure in data.items():
        assert set(figure) == {"value", "unit", "baseline"}, name
        assert isinstance(figure["value"], int | float), name
        assert isinstance(figure["baseline"], int | float), name
        assert isinstance(figure["unit"], str) and figure["unit"], name
    return data


def test_merkle_benchmark_writes_its_figures(tmp_path: Path) -> None:
    data = _run(tmp_path, "merkle")
    assert set(data) == {"merkle_root_vs_pymerkle", "merkle_root_vs_hashlib"}


def test_unknown_benchmark_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick", "nosuch"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown benchmark nosuch" in done.stderr


@requires_postgres
@pytest.mark.postgres
def test_http_benchmarks_write_every_figure(tmp_path: Path) -> None:
    data = _run(tmp_path, "import", "cast", "pages", "tally")
    assert {
        "roll_import",
        "ballot_open",
        "issue_links",
        "owner_page_p50",
        "owner_page_p99",
        "turnout_p50",
        "turnout_p99",
        "cast_vs_bare_insert",
        "cast_throughput",
        "cast_p50",
        "cast_p99",
        "cast_cpu",
        "cast_refused_cpu",
        "tally",
    } <= set(data)
    # Each side's requests cost some CPU, counted from /proc (app and PostgreSQL).
    assert data["cast_cpu"]["value"] > 0
    assert data["cast_cpu"]["baseline"] > 0


@requires_postgres
@pytest.mark.postgres
def test_ledger_benchmarks_write_every_figure(tmp_path: Path) -> None:
    """Posting against python-accounting, the balances of a built history and its Beancount
    export (which the quick run also loads with Beancount's loader: an error there is a
    warning, and a warning fails the run)."""
    data = _run(tmp_path, "ledger-post", "ledger-balances", "beancount")
    assert set(data) == {
        "post_vs_python_accounting",
        "post_cpu",
        "ledger_balances",
        "ledger_balances_running",
        "beancount_export",
    }
    assert data["post_vs_python_accounting"]["unit"] == "entries/s"
    assert data["post_cpu"]["unit"] == "ms"
    assert data["post_cpu"]["baseline"] > 0


@requires_postgres
@pytest.mark.postgres
def test_bundle_benchmark_writes_every_figure(tmp_path: Path) -> None:
    """The bundle of a bulk-loaded log is built and verified (a bundle that does not verify
    clean is a warning, and a warning fails the run)."""
    data = _run(tmp_path, "bundle")
    assert set(data) == {
        "bundle_build",
        "bundle_build_peak_memory",
        "bundle_verify",
        "bundle_verify_peak_memory",
    }
    assert data["bundle_build"]["unit"] == "s"
    assert data["bundle_verify_peak_memory"]["unit"] == "MiB"
