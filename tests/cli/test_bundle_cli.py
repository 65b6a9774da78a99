"""``fundvote bundle``: the file written whole, its fingerprint printed, bad input refused
with one line and exit status 2 (and no file left behind)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result

from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from ledger.api import PostingLine, post_entry
from notary.work import UnitOfWork

Cli = Callable[..., Result]
CODE = "BD01"


def _deposit(rt: Runtime, day: date, fen: int) -> None:
    rt.run(
        post_entry,
        community_code=CODE,
        kind="deposit",
        value_date=day,
        lines=[PostingLine("1001", fen), PostingLine("2101.1-101", -fen)],
    )


def _checkpoint(uow: UnitOfWork) -> object:
    return uow.checkpoint(CODE)


@pytest.fixture
def books(runtime: Runtime) -> Runtime:
    runtime.run(create_community_with_books, code=CODE, name="命令小区")
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=b"unit,building,area,owners,developer\n1-101,1,100.00,A1,\n",
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    _deposit(runtime, date(2026, 3, 1), 100_000)
    runtime.run(_checkpoint)
    return runtime


def _files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def test_the_bundle_is_written_and_its_fingerprint_printed(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "b.zip"
    result = cli("bundle", CODE, "--out", str(out), "--from", "2026-01-01", "--to", "2026-12-31")
    assert result.exit_code == 0, result.output
    files = _files(out)
    fingerprint = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert f"fingerprint (SHA-256 of manifest.json) {fingerprint}" in result.output
    assert json.loads(files["manifest.json"])["period"] == {
        "from": "2026-01-01",
        "to": "2026-12-31",
    }
    assert list(out.parent.iterdir()) == [out]  # no temporary file left

    _deposit(books, date(2026, 4, 1), 5_000)
    books.run(_checkpoint)
    newer = tmp_path / "out" / "c.zip"
    result = cli("bundle", CODE, "--out", str(newer), "--previous", str(out))
    assert result.exit_code == 0, result.output
    proof = json.loads(_files(newer)["proofs/consistency.json"])
    assert proof["previous_checkpoint"] == files["checkpoint.txt"].decode()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2026-13-01"], "first day of the period must be a date"),
        (["--to", "31/12/2026"], "last day of the period must be a date"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "ends (2026-01-01) before it starts"),
        (["--previous", "missing.zip"], "missing.zip: no such file"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    cli: Cli, books: Runtime, tmp_path: Path, args: list[str], expected: str
) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "b.zip"
    result = cli("bundle", CODE, "--out", str(out), *args)
    assert result.exit_code == 2, result.output
    assert expected in result.output and len(result.output.strip().splitlines()) == 1
    assert list(out.parent.iterdir()) == []


def test_unknown_community_bad_previous_and_bad_out(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    out = tmp_path / "b.zip"
    unknown = cli("bundle", "NOPE", "--out", str(out))
    assert unknown.exit_code == 2 and "There is no community NOPE" in unknown.output
    junk = tmp_path / "old.zip"
    junk.write_bytes(b"PK\x03\x04junk")
    bad = cli("bundle", CODE, "--out", str(out), "--previous", str(junk))
    assert bad.exit_code == 2 and "not a readable zip" in bad.output
    nowhere = cli("bundle", CODE, "--out", str(tmp_path / "no" / "b.zip"))
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.output
    assert not out.exists()
