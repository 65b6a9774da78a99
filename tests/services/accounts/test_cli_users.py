"""``fundvote user add|token|list`` against the test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fundvote.auth import user_for_token
from fundvote.cli import main
from fundvote.runtime import Runtime


@pytest.fixture
def run(runtime: Runtime, tmp_path: Path, community: int):  # type: ignore[no-untyped-def]
    env = {
        "FUNDVOTE_INSTANCE_PATH": str(runtime.settings.instance_path),
        "FUNDVOTE_DATABASE_URL": runtime.settings.database_url,
        "FUNDVOTE_SECRET_KEY": "test-secret-key",
    }

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, ["user", *args], input=stdin, env=env)

    return invoke


def test_add_with_password_on_stdin_then_list(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "add",
        "lin",
        "--role",
        "committee",
        "--community",
        "demo",
        "--display-name",
        "林志远",
        "--password-stdin",
        stdin="a long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "added lin (committee)" in result.stdout
    assert (
        run(
            "add", "root", "--role", "admin", "--password-stdin", stdin="another password\n"
        ).exit_code
        == 0
    )
    listed = run("list")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines() == [
        "lin\tcommittee\tactive\tdemo\t林志远",
        "root\tadmin\tactive\t*\troot",
    ]


def test_add_prompts_hidden_and_confirmed(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "add",
        "chen",
        "--role",
        "auditor",
        "--community",
        "demo",
        stdin="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output  # hidden input is not echoed
    mismatch = run(
        "add",
        "wu",
        "--role",
        "auditor",
        "--community",
        "demo",
        stdin="a long password\nanother one!!\n",
    )
    assert "added" not in mismatch.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("add", "x1", "--role", "owner", "--community", "demo", "--password-stdin"),
            "a long password\n",
            "unknown role 'owner'",
        ),
        (
            ("add", "x1", "--role", "committee", "--community", "demo", "--password-stdin"),
            "short\n",
            "at least 10 characters",
        ),
        (
            ("add", "x1", "--role", "committee", "--community", "nowhere", "--password-stdin"),
            "a long password\n",
            "No community has the code nowhere.",
        ),
        (
            ("add", "x1", "--role", "committee", "--password-stdin"),
            "a long password\n",
            "needs at least one community",
        ),
        (("add", "x1", "--community", "demo", "--password-stdin"), "a long password\n", "--role"),
        (("token", "nobody"), None, "No active user is called nobody."),
    ],
)
def test_bad_input_exits_2_with_one_line(  # type: ignore[no-untyped-def]
    run, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    result = run(*args, stdin=stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_token_is_printed_once_and_works(run, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    run(
        "add",
        "lin",
        "--role",
        "manager",
        "--community",
        "demo",
        "--password-stdin",
        stdin="a long password\n",
    )
    result = run("token", "lin", "--label", "laptop")
    assert result.exit_code == 0
    secret = result.stdout.strip()
    assert secret.startswith("fvt_") and "not shown again" in result.stderr
    holder = runtime.query(user_for_token, secret=secret)
    assert holder is not None and holder.principal.username == "lin"
    assert secret not in run("list").stdout
