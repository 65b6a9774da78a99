"""``fundvote community set`` and ``fundvote community settings``: as a named staff user,
one line and exit 2 on bad input or a refusal."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from click.testing import Result

from estate.api import create_community, current_settings, settings_history
from fundvote.auth import add_user
from fundvote.runtime import Runtime

Cli = Callable[..., Result]
CODE = "C1"
DOC = hashlib.sha256(b"transfer").hexdigest()


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    runtime.run(create_community, code=CODE, name="测试小区")
    runtime.run(create_community, code="C2", name="别的小区")
    for name, role, scope in (
        ("wang", "committee", [CODE]),
        ("li", "authority", [CODE]),
        ("zhao", "committee", ["C2"]),
        ("mgr", "manager", [CODE]),
    ):
        runtime.run(
            add_user,
            username=name,
            password="correct horse battery",
            role=role,
            communities=scope,
            display_name=name.title(),
        )
    return runtime


def test_committee_sets_the_rules(cli: Cli, rt: Runtime) -> None:
    result = cli(
        "community", "set", CODE, "--deemed-majority", "on", "--binding", "deemed",
        "--publicity-days", "10", "--by", "wang", "--basis", "管理规约第12条",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "community C1: binding_result plain -> deemed",
        "community C1: deemed_majority_enabled off -> on",
        "community C1: publicity_days 7 -> 10",
    ]
    now = rt.query(current_settings, CODE)
    assert (now.deemed_majority_enabled, now.binding_result, now.publicity_days) == (
        True,
        "deemed",
        10,
    )
    (row,) = rt.query(settings_history, CODE)
    assert row.basis == "管理规约第12条"
    shown = cli("community", "settings", CODE)
    assert shown.exit_code == 0 and "publicity_days: 10" in shown.stdout and "Wang" in shown.stdout


def test_committee_sets_the_emergency_publication_period(cli: Cli, rt: Runtime) -> None:
    result = cli(
        "community", "set", CODE, "--emergency-publish-days", "20", "--by", "wang",
        "--basis", "管理规约第15条",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "community C1: emergency_publish_days 30 -> 20"
    assert rt.query(current_settings, CODE).emergency_publish_days == 20
    for bad in ("0", "91", "٢٠"):
        refused = cli(
            "community", "set", CODE, "--emergency-publish-days", bad, "--by", "wang",
            "--basis", "x",
        )  # fmt: skip
        assert refused.exit_code == 2 and "--emergency-publish-days" in refused.stderr, bad


def test_authority_sets_the_fund_holder(cli: Cli, rt: Runtime) -> None:
    result = cli(
        "community", "set", CODE, "--fund-holder", "assembly", "--by", "li",
        "--basis", "业主大会2026年第1号决定", "--document-sha256", DOC,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert rt.query(current_settings, CODE).fund_holder == "assembly"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--publicity-days", "91", "--by", "wang", "--basis", "x"], "--publicity-days"),
        (["--publicity-days", "١٠", "--by", "wang", "--basis", "x"], "--publicity-days"),
        (["--deemed-majority", "yes", "--by", "wang", "--basis", "x"], "--deemed-majority"),
        (["--publicity-days", "9", "--by", "wang"], "--basis"),
        (["--publicity-days", "9", "--by", "wang", "--basis", "  "], "--basis"),
        (["--publicity-days", "9", "--by", "wang", "--basis", "x" * 501], "--basis"),
        (["--by", "wang", "--basis", "x"], "name a setting"),
        (["--publicity-days", "9", "--by", "nobody", "--basis", "x"], "nobody"),
        (["--publicity-days", "9", "--by", "mgr", "--basis", "x"], "committee"),
        (["--publicity-days", "9", "--by", "zhao", "--basis", "x"], "committee"),
        (["--publicity-days", "9", "--by", "li", "--basis", "x"], "committee"),
        (
            ["--fund-holder", "assembly", "--by", "wang", "--basis", "x", "--document-sha256", DOC],
            "authority",
        ),
        (["--fund-holder", "assembly", "--by", "li", "--basis", "x"], "SHA-256"),
        (
            ["--fund-holder", "assembly", "--by", "li", "--basis", "x", "--document-sha256", "zz"],
            "SHA-256",
        ),
        (["--binding", "deemed", "--by", "wang", "--basis", "x"], "deemed-majority"),
        (["--publicity-days", "7", "--by", "wang", "--basis", "x"], "already in force"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli: Cli, rt: Runtime, args: list[str], expected: str
) -> None:
    result = cli("community", "set", CODE, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0], lines
    assert "Traceback" not in result.output
    assert rt.query(settings_history, CODE) == []


def test_unknown_community(cli: Cli, rt: Runtime) -> None:
    result = cli(
        "community", "set", "NOPE", "--publicity-days", "9", "--by", "wang", "--basis", "x"
    )
    assert result.exit_code == 2 and "NOPE" in result.stderr
