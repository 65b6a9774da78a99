"""The command line speaks the operator's language: Chinese on a Chinese system
(``LANG=zh_CN.UTF-8``, or ``FUNDVOTE_LANG=zh_Hans``), English elsewhere; confirmations,
refusals, file problems and bad settings alike. Data for scripts (tab-separated listings, a
token on stdout) is the same in every language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from fundvote.cli.speech import cli_locale
from fundvote.runtime import Runtime

Cli = Callable[..., Result]
ZH = {"FUNDVOTE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}


@pytest.mark.parametrize(
    ("environ", "locale"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_Hans"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW"}, "zh_Hans"),
        ({"LANG": "zh_CN.UTF-8", "FUNDVOTE_LANG": "en"}, "en"),
        ({"LANG": "C", "FUNDVOTE_LANG": "zh_Hans"}, "zh_Hans"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "  "}, "zh_Hans"),
    ],
)
def test_the_language_follows_the_locale(environ: dict[str, str], locale: str) -> None:
    assert cli_locale(environ) == locale


def test_confirmations_in_chinese(cli: Cli, runtime: Runtime) -> None:
    added = cli("community", "add", "C1", "江滨花园", env=ZH)
    assert (added.exit_code, added.stdout) == (0, "已创建小区 C1：江滨花园\n")
    english = cli("community", "add", "C2", "江滨花园", env={**ZH, "FUNDVOTE_LANG": "en"})
    assert english.stdout == "community C2 created: 江滨花园\n"


def test_refusals_in_chinese(cli: Cli, runtime: Runtime, tmp_path: Path) -> None:
    unknown = cli("roll", "export", "NOPE", env=ZH)
    assert (unknown.exit_code, unknown.stderr) == (2, "fundvote: 没有编号为 NOPE 的小区。\n")
    missing = tmp_path / "missing.csv"
    gone = cli("roll", "import", "C1", str(missing), env=ZH)
    assert (gone.exit_code, gone.stderr) == (2, f"{missing}：文件不存在\n")
    bad = cli("ballot", "list", "C1", env={**ZH, "FUNDVOTE_TOKEN_DAYS": "abc"})
    assert bad.exit_code == 2
    assert bad.stderr.startswith("FUNDVOTE_TOKEN_DAYS 必须是 1 至 ")


def test_file_problems_in_chinese(cli: Cli, runtime: Runtime, tmp_path: Path) -> None:
    assert cli("community", "add", "C1", "n").exit_code == 0
    roll = tmp_path / "roll.csv"
    roll.write_text(
        "unit,building,area,owners,developer\n1-101,1,oops,张三,\n1-102,1,-1,李四,\n",
        encoding="utf-8",
    )
    rejected = cli("roll", "import", "C1", str(roll), env=ZH)
    assert rejected.exit_code == 2
    line = rejected.stderr.strip()
    assert line.startswith(f"{roll}:2: area: ")
    assert line.endswith("（另有 1 个问题）（已拒绝，未导入任何内容）"), line
    assert not any(word in line for word in ("rejected", "more problem", "expected"))


def test_data_for_scripts_is_the_same_in_every_language(cli: Cli, runtime: Runtime) -> None:
    added = cli(
        "user", "add", "wang", "--role", "admin", "--password-stdin",
        input="correct horse battery\n",
    )  # fmt: skip
    assert added.exit_code == 0
    english = cli("user", "list")
    chinese = cli("user", "list", env=ZH)
    assert english.stdout == chinese.stdout == "wang\tadmin\tactive\t*\twang\n"
