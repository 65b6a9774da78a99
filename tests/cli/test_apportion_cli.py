"""``fundvote apportion``: the command contract, and one line on stderr for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fundvote.cli import main

ROLL = (
    "unit,building,area,owners,developer\n"
    "B1-101,B1,89.37,o1,\n"
    "B1-102,B1,89.37,o2,\n"
    "B2-101,B2,120.05,o1,\n"
    "B2-102,B2,64,,1\n"
)


@pytest.fixture
def roll(tmp_path: Path) -> Path:
    path = tmp_path / "roll.csv"
    path.write_text(ROLL, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_contract(roll: Path) -> None:
    code, out, err = run("apportion", str(roll), "--amount", "12345.67", "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    # total area 36279: floors 304124, 304124, 408527, 217790 (sum 1234565); the two spare
    # fen go to the largest remainders (B2-101: 25802, B2-102: 25390).
    assert doc == {
        "total_fen": 1234567,
        "method": "largest-remainder",
        "shares": [
            {"unit": "B1-101", "area": "89.37", "fen": 304124},
            {"unit": "B1-102", "area": "89.37", "fen": 304124},
            {"unit": "B2-101", "area": "120.05", "fen": 408528},
            {"unit": "B2-102", "area": "64.00", "fen": 217791},
        ],
    }


def test_scope_buildings_and_table(roll: Path) -> None:
    code, out, _err = run("apportion", str(roll), "--amount", "0.03", "--scope-buildings", "B1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["unit", "building", "area", "m²", "share", "yuan"]
    # 3 fen over two equal areas: the tie goes to the smaller code.
    assert lines[1].split() == ["B1-101", "B1", "89.37", "0.02"]
    assert lines[2].split() == ["B1-102", "B1", "89.37", "0.01"]
    assert lines[3].split() == ["total", "178.74", "0.03"]


def test_units_sorted_by_code_point(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("unit,building,area,owners,developer\n9,A,1,a,\n10,A,1,b,\nb,A,1,c,\n")
    code, out, _ = run("apportion", str(path), "--amount", "0", "--json")
    assert code == 0
    assert [s["unit"] for s in json.loads(out)["shares"]] == ["10", "9", "b"]


BAD_ROLLS = {
    "duplicate": (
        "unit,building,area,owners,developer\nA,1,1,o1,\nA,1,2,o2,\n",
        "{f}:3: unit: unit 'A' already appears on line 2",
    ),
    "missing_owner": (
        "unit,building,area,owners,developer\nA,1,1,o1,\nB,1,2,,\n",
        "{f}:3: owners: no owners are given and the unit is not developer-held",
    ),
    "bad_area": (
        "unit,building,area,owners,developer\nA,1,12.345,o1,\n",
        "{f}:2: area: '12.345' has more than two decimals (expected m² like 89.37)",
    ),
    "missing_column": (
        "unit,building,area,owners\nA,1,1,o1\n",
        "{f}:1: missing column: developer (the header must be unit,building,area,owners,developer)",
    ),
    "several": (
        "unit,building,area,owners,developer\nA,1,1,o1,\nB,1,-1,o1,\nB,1,1,,\nC,,1,o,\n",
        "{f}:3: area: '-1' is negative (expected m² like 89.37) (and 3 more problems)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROLLS))
def test_bad_roll_is_one_line_status_2(tmp_path: Path, case: str) -> None:
    text, expected = BAD_ROLLS[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = run("apportion", str(path), "--amount", "100")
    assert code == 2
    assert out == ""
    assert err == expected.format(f=path) + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--amount", "1.234"], "fundvote apportion: --amount: '1.234' has more than two decimals"),
        (["--amount", "-5"], "fundvote apportion: --amount: '-5' is negative"),
        (["--amount", "1e3"], "fundvote apportion: --amount: '1e3' is not a decimal number"),
        ([], "fundvote apportion: --amount is required"),
        (["--amount", "1", "--scope-buildings", "B1,B9"], "{f}: --scope-buildings: building 'B9'"),
        (["--amount", "1", "--scope-buildings", "B1,"], "fundvote apportion: --scope-buildings:"),
    ],
)
def test_bad_options(roll: Path, args: list[str], expected: str) -> None:
    code, out, err = run("apportion", str(roll), *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(expected.format(f=roll))


def test_missing_file(tmp_path: Path) -> None:
    code, _out, err = run("apportion", str(tmp_path / "none.csv"), "--amount", "1")
    assert (code, err) == (2, f"{tmp_path / 'none.csv'}: no such file\n")


def test_xlsx_roll(tmp_path: Path) -> None:
    from estate.tables import write_table

    path = tmp_path / "roll.xlsx"
    header, *rows = [line.split(",") for line in ROLL.strip().splitlines()]
    path.write_bytes(write_table(header, rows, "xlsx"))
    code, out, _ = run("apportion", str(path), "--amount", "12345.67", "--json")
    assert code == 0 and json.loads(out)["shares"][2]["fen"] == 408528


def test_real_process_from_another_directory(tmp_path: Path) -> None:
    """The installed entry point, run elsewhere: status 2, one stderr line, no traceback."""
    fundvote = Path(sys.executable).parent / "fundvote"
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "roll.csv").write_text(
        "unit,building,area,owners,developer\nA,1,1,o1,\nA,1,oops,,\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDVOTE_")}
    env["FUNDVOTE_LANG"] = "en"  # the messages below are the English ones
    proc = subprocess.run(
        [str(fundvote), "apportion", "roll.csv", "--amount", "10"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        "roll.csv:3: unit: unit 'A' already appears on line 2 (and 2 more problems)"
    ]
    assert not (work / "instance").exists()  # apportion touches no database or key files
