"""``fundvote tally``: the command contract, and one line on stderr for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fundvote.cli import main

# Members of the whole community (6 heads, 620.00 m²): a 100, b 100, w 140 (2-101 and 3-101),
# c 90, d 50, developer 140 (3-104 and 1-103).
ROLL = (
    "unit,building,area,owners,developer\n"
    "1-101,1,100,a,\n"
    "1-102,1,100,b,\n"
    "2-101,2,80,w,\n"
    "3-101,3,60,w,\n"
    "3-102,3,90,c,\n"
    "3-103,3,50,d,\n"
    "3-104,3,70,,1\n"
    "1-103,1,70,,1\n"
)

# a and w agree, c opposes, the developer abstains (via 1-103); b and d do not vote.
BALLOTS = "unit,choice\n1-101,agree\n2-101,agree\n3-102,oppose\n1-103,abstain\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    roll, ballots = tmp_path / "roll.csv", tmp_path / "ballots.csv"
    roll.write_text(ROLL, encoding="utf-8")
    ballots.write_text(BALLOTS, encoding="utf-8")
    return roll, ballots


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def fig(heads: int, area: str) -> dict[str, object]:
    return {"heads": heads, "area": area}


def test_json_contract(files: tuple[Path, Path]) -> None:
    roll, ballots = files
    code, out, err = run("tally", str(roll), str(ballots), "--matter", "rules", "--json")
    assert (code, err) == (0, "")
    # 4 of 6 heads and 470 of 620 m² took part: quorum met. Agree 2 of 4 heads = exactly 1/2
    # (strict): not approved, although agree holds 240 of 470 m².
    assert json.loads(out) == {
        "matter": "rules",
        "roll": fig(6, "620.00"),
        "participated": fig(4, "470.00"),
        "agree": fig(2, "240.00"),
        "oppose": fig(1, "90.00"),
        "abstain": fig(1, "140.00"),
        "quorum_met": True,
        "approved": False,
        "passed": False,
        "deemed_majority": None,
    }
    assert list(json.loads(out)) == [
        "matter",
        "roll",
        "participated",
        "agree",
        "oppose",
        "abstain",
        "quorum_met",
        "approved",
        "passed",
        "deemed_majority",
    ]


def test_json_with_deemed_majority(files: tuple[Path, Path]) -> None:
    roll, ballots = files
    args = ["tally", str(roll), str(ballots), "--matter", "rules", "--json", "--deemed-majority"]
    code, out, err = run(*args)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["passed"] is False  # the plain result is unchanged
    # agree (2 heads, 240) leads oppose (1, 90) in both: b and d (2 heads, 150) count as agree.
    assert doc["deemed_majority"] == {
        "roll": fig(6, "620.00"),
        "participated": fig(6, "620.00"),
        "agree": fig(4, "390.00"),
        "oppose": fig(1, "90.00"),
        "abstain": fig(1, "140.00"),
        "quorum_met": True,
        "approved": True,
        "passed": True,
    }


def test_fund_use_scope_counts_only_in_scope_members_and_area(tmp_path: Path) -> None:
    roll = tmp_path / "roll.csv"
    roll.write_text(ROLL, encoding="utf-8")
    ballots = tmp_path / "b3.csv"
    ballots.write_text("unit,choice\n3-101,agree\n3-102,agree\n3-104,oppose\n")
    code, out, err = run(
        "tally", str(roll), str(ballots), "--matter", "fund_use", "--scope-buildings", "3", "--json"
    )
    assert (code, err) == (0, "")
    doc = json.loads(out)
    # w counts with 3-101 only (60 of its 140 m²); the developer with 3-104 only (70 of 140).
    assert (doc["roll"], doc["participated"], doc["agree"]) == (
        fig(4, "270.00"),
        fig(3, "220.00"),
        fig(2, "150.00"),
    )
    assert (doc["quorum_met"], doc["approved"], doc["passed"]) == (True, True, True)


def test_listing_every_building_is_the_whole_community(files: tuple[Path, Path]) -> None:
    roll, ballots = files
    code, out, _ = run(
        "tally",
        str(roll),
        str(ballots),
        "--matter",
        "rules",
        "--scope-buildings",
        "3,2,1",
        "--json",
    )
    assert code == 0 and json.loads(out)["roll"] == fig(6, "620.00")


def test_readable_report(files: tuple[Path, Path]) -> None:
    roll, ballots = files
    code, out, err = run("tally", str(roll), str(ballots), "--matter", "rules", "--deemed-majority")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        lines[0] == "表决事项 matter: rules — 制定和修改业主大会议事规则、管理规约"
        " (assembly or management rules)"
    )
    assert lines[1] == "范围 scope: 全小区 whole community"
    assert "已参与 took part" in out and "620.00" in out and "470.00" in out
    assert "参与 quorum (>= 2/3 of the roll): 面积 area 达到 met, 人数 heads 达到 met" in lines
    assert (
        "同意 approval (> 1/2 of those who took part):"
        " 面积 area 达到 met, 人数 heads 未达到 not met" in lines
    )
    assert "结果 outcome: 未通过 NOT PASSED (同意不足 not approved)" in lines
    assert "未参与者计为 non-voters counted as: 同意 agree" in lines
    assert lines.count("结果 outcome: 通过 PASSED") == 1  # the deemed-majority result


def test_nobody_voted(tmp_path: Path) -> None:
    roll, ballots = tmp_path / "r.csv", tmp_path / "b.csv"
    roll.write_text(ROLL, encoding="utf-8")
    ballots.write_text("unit,choice\n", encoding="utf-8")
    code, out, _ = run("tally", str(roll), str(ballots), "--matter", "fund_raise")
    assert code == 0
    assert "同意 approval: 无人参与 nobody took part" in out
    assert "结果 outcome: 未通过 NOT PASSED (参与不足 quorum not met; 同意不足 not approved)" in out


BAD_BALLOTS = {
    "same_unit_twice": (
        "unit,choice\n1-101,agree\n1-102,agree\n1-101,oppose\n",
        [],
        "{b}:4: unit: unit '1-101' already voted on line 2",
    ),
    "same_member_other_unit": (
        "unit,choice\n2-101,agree\n1-101,agree\n3-101,oppose\n",
        [],
        "{b}:4: unit: unit '3-101' belongs to the member who already voted with unit '2-101'"
        " on line 2",
    ),
    "developer_twice": (
        "unit,choice\n3-104,agree\n1-103,agree\n",
        [],
        "{b}:3: unit: unit '1-103' belongs to the member who already voted with unit '3-104'"
        " on line 2",
    ),
    "not_in_roll": (
        "unit,choice\n1-101,agree\n9-999,agree\n",
        [],
        "{b}:3: unit: unit '9-999' is not in the roll",
    ),
    "not_in_scope": (
        "unit,choice\n3-101,agree\n1-101,agree\n",
        ["--scope-buildings", "3"],
        "{b}:3: unit: unit '1-101' is not in the ballot's scope",
    ),
    "other_unit_of_member_outside_scope": (
        "unit,choice\n2-101,agree\n",
        ["--scope-buildings", "3"],
        "{b}:2: unit: unit '2-101' is not in the ballot's scope",
    ),
    "unknown_choice": (
        "unit,choice\n1-101,agree\n1-102,yes\n",
        [],
        "{b}:3: choice: 'yes' is not a choice; expected agree, oppose or abstain",
    ),
    "missing_column": (
        "unit,vote\n1-101,agree\n",
        [],
        "{b}:1: missing column: choice (the header must be unit,choice) (and 1 more problem)",
    ),
    "several": (
        "unit,choice\n1-101,agree\n,agree\n1-102,maybe\n",
        [],
        "{b}:3: unit: the unit code is missing (and 1 more problem)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BALLOTS))
def test_bad_ballots_are_one_line_status_2(tmp_path: Path, case: str) -> None:
    text, extra, expected = BAD_BALLOTS[case]
    roll, ballots = tmp_path / "roll.csv", tmp_path / f"{case}.csv"
    roll.write_text(ROLL, encoding="utf-8")
    ballots.write_text(text, encoding="utf-8")
    code, out, err = run("tally", str(roll), str(ballots), "--matter", "fund_use", *extra)
    assert (code, out) == (2, "")
    assert err == expected.format(b=ballots) + "\n"


BAD_ROLLS = {
    "bad_area": (
        "unit,building,area,owners,developer\n1-101,1,100,a,\n1-102,1,12.345,b,\n",
        "{r}:3: area: '12.345' has more than two decimals (expected m² like 89.37)",
    ),
    "missing_column": (
        "unit,building,area,owners\n1-101,1,100,a\n",
        "{r}:1: missing column: developer (the header must be unit,building,area,owners,developer)",
    ),
    "duplicate_unit": (
        "unit,building,area,owners,developer\n1-101,1,100,a,\n1-101,1,100,b,\n",
        "{r}:3: unit: unit '1-101' already appears on line 2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROLLS))
def test_bad_roll_is_one_line_status_2(tmp_path: Path, case: str) -> None:
    text, expected = BAD_ROLLS[case]
    roll, ballots = tmp_path / f"{case}.csv", tmp_path / "ballots.csv"
    roll.write_text(text, encoding="utf-8")
    ballots.write_text("unit,choice\n1-101,agree\n", encoding="utf-8")
    code, out, err = run("tally", str(roll), str(ballots), "--matter", "rules")
    assert (code, out) == (2, "")
    assert err == expected.format(r=roll) + "\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--matter", "fund-use"],
            "fundvote tally: --matter: 'fund-use' is not a matter; expected one of: rules,"
            " committee, manager, fund_use, fund_raise, rebuild, change_use, other",
        ),
        (
            [],
            "fundvote tally: --matter is required (one of: rules, committee, manager, fund_use,"
            " fund_raise, rebuild, change_use, other)",
        ),
        (
            ["--matter", "rules", "--scope-buildings", "3"],
            "fundvote tally: --scope-buildings: The matter 'rules' is decided by the whole"
            " community: only a use of the maintenance fund (fund_use) or a consultation may"
            " cover only some buildings.",
        ),
        (
            ["--matter", "fund_raise", "--scope-buildings", "1,2"],
            "fundvote tally: --scope-buildings: The matter 'fund_raise' is decided by the whole",
        ),
        (
            ["--matter", "fund_use", "--scope-buildings", "3,9"],
            "{r}: --scope-buildings: building '9' is not in the roll",
        ),
        (
            ["--matter", "fund_use", "--scope-buildings", "3,"],
            "fundvote tally: --scope-buildings: '3,' has an empty building code",
        ),
    ],
)
def test_bad_options(files: tuple[Path, Path], args: list[str], expected: str) -> None:
    roll, ballots = files
    code, out, err = run("tally", str(roll), str(ballots), *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(expected.format(r=roll))


def test_missing_files(tmp_path: Path, files: tuple[Path, Path]) -> None:
    roll, ballots = files
    none = tmp_path / "none.csv"
    assert run("tally", str(roll), str(none), "--matter", "rules") == (
        2,
        "",
        f"{none}: no such file\n",
    )
    assert run("tally", str(none), str(ballots), "--matter", "rules") == (
        2,
        "",
        f"{none}: no such file\n",
    )
    assert run("tally", str(roll), str(tmp_path), "--matter", "rules") == (
        2,
        "",
        f"{tmp_path}: is a directory, not a ballots file\n",
    )


def test_real_process_from_another_directory(tmp_path: Path) -> None:
    """The installed entry point, run elsewhere with relative paths: JSON, then a bad ballot."""
    fundvote = Path(sys.executable).parent / "fundvote"
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "roll.csv").write_text(ROLL, encoding="utf-8")
    (work / "ballots.csv").write_text(BALLOTS, encoding="utf-8")
    (work / "twice.csv").write_text("unit,choice\n2-101,agree\n3-101,agree\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDVOTE_")}
    env["FUNDVOTE_LANG"] = "en"  # the messages below are the English ones

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(fundvote), "tally", *args],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    ok = call("roll.csv", "ballots.csv", "--matter", "committee", "--json", "--deemed-majority")
    assert (ok.returncode, ok.stderr) == (0, "")
    doc = json.loads(ok.stdout)
    assert doc["matter"] == "committee"
    assert (doc["passed"], doc["deemed_majority"]["passed"]) == (False, True)
    bad = call("roll.csv", "twice.csv", "--matter", "committee")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [
        "twice.csv:3: unit: unit '3-101' belongs to the member who already voted with unit"
        " '2-101' on line 2"
    ]
    assert not (work / "instance").exists()  # tally touches no database or key files
