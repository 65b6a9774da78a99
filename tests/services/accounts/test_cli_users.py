"""``fundvote user ...`` (add, token, list, tokens, revoke-token, disable, enable,
reset-password, unlock) against the test database."""

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


def _days(start: str, end: str) -> int:
    from datetime import datetime

    fmt = "%Y-%m-%dT%H:%MZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).days


def _add_lin(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "add",
        "lin",
        "--role",
        "manager",
        "--community",
        "demo",
        "--password-stdin",
        stdin="a long password\n",
    )
    assert result.exit_code == 0, result.output


def test_user_help_keeps_the_old_commands_and_lists_the_new(run) -> None:  # type: ignore[no-untyped-def]
    result = run("--help")
    assert result.exit_code == 0
    for command in (
        "add",
        "token",
        "list",
        "tokens",
        "revoke-token",
        "disable",
        "enable",
        "reset-password",
        "unlock",
    ):
        assert f"  {command} " in result.stdout, command


def test_tokens_are_listed_and_revoked(run, runtime: Runtime, clock) -> None:  # type: ignore[no-untyped-def]
    _add_lin(run)
    issued = run("token", "lin", "--label", "laptop")
    assert "it expires 20" in issued.stderr
    secret = issued.stdout.strip()
    listed = run("tokens", "LIN")
    assert listed.exit_code == 0 and secret not in listed.stdout
    (token_id, state, created, last_used, expires, label) = listed.stdout.strip().split("\t")
    assert (state, last_used, label) == ("valid", "-", "laptop")
    assert _days(created, expires) == 90
    revoked = run("revoke-token", "lin", token_id)
    assert revoked.exit_code == 0 and f"token {token_id} of lin revoked" in revoked.stdout
    assert runtime.query(user_for_token, secret=secret) is None
    assert run("tokens", "lin").stdout.split("\t")[1] == "revoked"
    for args, message in [
        (("revoke-token", "nobody", token_id), "No such token."),
        (("revoke-token", "lin", "999"), "No such token."),
        (("revoke-token", "lin", "abc"), "TOKEN_ID"),
        (("revoke-token", "lin", str(2**64)), "TOKEN_ID"),
        (("tokens", "nobody"), "No user is called nobody."),
    ]:
        bad = run(*args)
        assert bad.exit_code == 2 and bad.stdout == "", args
        assert len(bad.stderr.splitlines()) == 1 and message in bad.stderr, bad.stderr


def test_token_lifetime_comes_from_the_setting(runtime: Runtime, community: int) -> None:
    env = {
        "FUNDVOTE_INSTANCE_PATH": str(runtime.settings.instance_path),
        "FUNDVOTE_DATABASE_URL": runtime.settings.database_url,
        "FUNDVOTE_SECRET_KEY": "test-secret-key",
        "FUNDVOTE_TOKEN_DAYS": "7",
    }
    runner = CliRunner()
    added = runner.invoke(
        main,
        ["user", "add", "lin", "--role", "auditor", "--community", "demo", "--password-stdin"],
        input="a long password\n",
        env=env,
    )
    assert added.exit_code == 0
    issued = runner.invoke(main, ["user", "token", "lin"], env=env)
    assert issued.exit_code == 0
    holder = runtime.query(user_for_token, secret=issued.stdout.strip())
    assert holder is not None
    listed = runner.invoke(main, ["user", "tokens", "lin"], env=env)
    fields = listed.stdout.split("\t")
    assert _days(fields[2], fields[4]) == 7


def test_disable_enable_reset_and_unlock(run, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    from fundvote import auth

    _add_lin(run)
    secret = run("token", "lin").stdout.strip()
    disabled = run("disable", "lin")
    assert disabled.exit_code == 0 and disabled.stdout == "lin disabled\n"
    assert runtime.query(user_for_token, secret=secret) is None
    assert "lin\tmanager\tdisabled\t" in run("list").stdout
    assert run("enable", "lin").stdout == "lin enabled\n"
    assert runtime.query(user_for_token, secret=secret) is not None

    reset = run("reset-password", "lin")
    assert reset.exit_code == 0 and "not shown again" in reset.stderr
    new = reset.stdout.strip()
    assert len(new) >= 16 and "\n" not in new

    def login(password: str, client: str = "192.0.2.1") -> bool:
        try:
            runtime.run(
                auth.authenticate,
                username="lin",
                password=password,
                client=client,
                max_failures=2,
                lockout_minutes=15,
            )
        except auth.InvalidCredentials:
            return False
        return True

    assert not login("a long password") and login(new)
    typed = run("reset-password", "lin", "--password-stdin", stdin="typed on the server\n")
    assert typed.exit_code == 0 and typed.stdout == ""
    short = run("reset-password", "lin", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.stderr
    assert not login("wrong password") and not login("wrong password")
    assert not login("typed on the server")  # this address is locked now
    unlocked = run("unlock", "lin")
    # (The command line runs on the real clock, the lock on the test clock: only the effect
    # is checked, not the count.)
    assert unlocked.exit_code == 0 and "locked address(es) unlocked" in unlocked.stdout
    assert login("typed on the server")
    events = runtime.query(auth.user_detail, "lin").events
    assert [(e.action, e.via, e.actor) for e in reversed(events)] == [
        ("disable", "cli", None),
        ("enable", "cli", None),
        ("reset_password", "cli", None),
        ("reset_password", "cli", None),
        ("unlock", "cli", None),
    ]
    for command in ("disable", "enable", "reset-password", "unlock"):
        bad = run(command, "nobody")
        assert bad.exit_code == 2 and "No user is called nobody." in bad.stderr, command
