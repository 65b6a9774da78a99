"""Every ``fundvote`` command, given bad input, exits with status 2 after exactly one line on
stderr naming the file and line (or the argument) and the problem; an unexpected failure exits
with status 1 after one line with a reference, the traceback going to the log file only.

Issue 8: the command line printed tracebacks and exited 1 on some bad files and numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from estate.errors import CommunityNotFound, UndecryptableData
from fundvote import auth
from fundvote.cli.common import LOG_FILE_NAME, FundvoteGroup
from fundvote.runtime import Runtime
from notary.errors import N_
from tests import hostile_files as hostile
from tests.cli.test_roll_cli import counts

GOOD_ROLL = "unit,building,area,owners,developer\n1-101,1,89.37,o1,\n1-102,1,90,o2,\n"


def one_line(r: Result, *, status: int = 2) -> str:
    """The one stderr line of a refused command (and nothing on stdout)."""
    assert r.exit_code == status, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.endswith("\n"), r.stderr
    assert "Traceback" not in r.stderr and "Usage:" not in r.stderr
    return r.stderr.rstrip("\n")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "good.csv": GOOD_ROLL.encode(),
        "quote.csv": hostile.UNTERMINATED_QUOTE,
        "bomb.xlsx": hostile.zip_bomb(),
        "broken.xlsx": hostile.malformed_xml(),
        "ballots.csv": b"unit,choice\n1-101,agree\n",
        "ballots-quote.csv": b'unit,choice\n1-101,agree\n"1-102,oppose\n',
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in made}


def test_unknown_commands_and_options_are_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    assert one_line(cli("nope")) == "fundvote: No such command 'nope'."
    assert one_line(cli("--nope")) == "fundvote: No such option '--nope'."
    assert one_line(cli("user", "list", "extra")).startswith(
        "fundvote: Got unexpected extra argument"
    )
    assert one_line(cli("demo", "--bogus")) == "fundvote demo: No such option '--bogus'."
    line = one_line(cli("ballot", "step", "explode", "B1", "--by", "x"))
    assert line.startswith("fundvote ballot step: Invalid value for '{open|")


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--port", "²", "'²' is not a whole number from 1 to 65535"),
        ("--port", "٣", "'٣' is not a whole number from 1 to 65535"),  # int() would take it
        ("--port", "-1", "'-1' is not a whole number from 1 to 65535"),
        ("--port", "70000", "70000 is not from 1 to 65535"),
        ("--port", "0", "0 is not from 1 to 65535"),
        ("--workers", "99999999999999999999", "is not a whole number from 1 to 64"),
        ("--threads", "0", "0 is not from 1 to 64"),
    ],
)
def test_serve_numbers_are_ascii_digits_in_range(  # type: ignore[no-untyped-def]
    cli, option: str, value: str, problem: str
) -> None:
    line = one_line(cli("serve", option, value))
    assert line.startswith(f"fundvote serve: Invalid value for '{option}'") and problem in line


def test_serve_port_from_the_environment_is_checked_too(cli) -> None:  # type: ignore[no-untyped-def]
    line = one_line(cli("serve", env={"PORT": "８０"}))  # full-width digits
    assert "'８０' is not a whole number" in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FUNDVOTE_LOGIN_MAX_FAILURES", "abc"),
        ("FUNDVOTE_TOKEN_DAYS", "９０"),
        ("FUNDVOTE_SESSION_IDLE_MINUTES", "0"),
        ("FUNDVOTE_SLIPS_KEEP_HOURS", "99999999999999"),
        ("FUNDVOTE_TRUSTED_PROXIES", "10.0.0.1,not-an-address"),
    ],
)
def test_bad_settings_are_bad_input(cli, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("ballot", "list", "C1", env={name: value})
    assert result.exit_code == 2, result.output
    assert name in one_line(result)


def test_control_characters_and_bad_utf8_in_arguments(cli) -> None:  # type: ignore[no-untyped-def]
    line = one_line(cli("community", "add", "C1", "name\x1b[31m"))
    assert line == "fundvote: argument 4 holds a control character or is not valid UTF-8"
    line = one_line(cli("community", "add", "C1", "caf\udce9"))  # non-UTF-8 argv byte
    assert line == "fundvote: argument 4 holds a control character or is not valid UTF-8"


def test_community_add(cli, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    before = counts(runtime)
    assert one_line(cli("community", "add", "C1", "  ")) == (
        "fundvote community add: NAME: must not be empty"
    )
    assert one_line(cli("community", "add", "C1", "名" * 201)) == (
        "fundvote community add: NAME: longer than 200 characters"
    )
    assert one_line(cli("community", "add", "C1", "n", "--address", "x" * 401)) == (
        "fundvote community add: --address: longer than 400 characters"
    )
    assert one_line(cli("community", "add", "bad code", "n")).startswith(
        "fundvote: A community code is"
    )
    assert counts(runtime) == before


def test_roll_import(cli, runtime: Runtime, files: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    assert cli("community", "add", "C1", "n").exit_code == 0
    before = counts(runtime)
    quote, bomb, broken = files["quote.csv"], files["bomb.xlsx"], files["broken.xlsx"]
    assert one_line(cli("roll", "import", "C1", str(quote))) == (
        f"{quote}:2: a quoted cell that starts on this line is never closed (unterminated quote)"
        " (rejected, nothing imported)"
    )
    assert one_line(cli("roll", "import", "C1", str(bomb))) == (
        f"{bomb}:1: the XLSX workbook unpacks to more than 64 MB (rejected, nothing imported)"
    )
    assert one_line(cli("roll", "import", "C1", str(broken))).startswith(
        f"{broken}:1: the file is not a valid XLSX workbook"
    )
    missing = files["good.csv"].parent / "missing.csv"
    assert one_line(cli("roll", "import", "C1", str(missing))) == f"{missing}: no such file"
    assert one_line(cli("roll", "import", "NOPE", str(files["good.csv"]))) == (
        "fundvote: There is no community NOPE."
    )
    assert counts(runtime) == before


def test_roll_export(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("community", "add", "C1", "n").exit_code == 0
    assert one_line(cli("roll", "export", "NOPE")) == "fundvote: There is no community NOPE."
    assert one_line(cli("roll", "export", "C1", "-o", str(tmp_path))) == (
        f"{tmp_path}: cannot be written (Is a directory)"
    )
    assert one_line(cli("roll", "export", "C1", "--format", "pdf")).startswith(
        "fundvote roll export: Invalid value for '--format'"
    )


def test_apportion(cli, files: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    good, quote = str(files["good.csv"]), files["quote.csv"]
    assert one_line(cli("apportion", good, "--amount", "²")) == (
        "fundvote apportion: --amount: '²' is not a decimal number (expected yuan like 12345.67)"
    )
    assert one_line(cli("apportion", good, "--amount", "1" * 30)) == (
        "fundvote apportion: --amount: larger than 1,000,000,000,000.00 yuan"
    )
    assert one_line(cli("apportion", good, "--amount", "-5")).startswith(
        "fundvote apportion: --amount: '-5' is negative"
    )
    assert one_line(cli("apportion", str(quote), "--amount", "10")) == (
        f"{quote}:2: a quoted cell that starts on this line is never closed (unterminated quote)"
    )
    assert one_line(cli("apportion", str(files["bomb.xlsx"]), "--amount", "10")).endswith(
        "the XLSX workbook unpacks to more than 64 MB"
    )


def test_tally(cli, files: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    good, ballots = str(files["good.csv"]), str(files["ballots.csv"])
    bad = files["ballots-quote.csv"]
    assert one_line(cli("tally", good, str(bad), "--matter", "rules")) == (
        f"{bad}:3: a quoted cell that starts on this line is never closed (unterminated quote)"
    )
    assert one_line(cli("tally", good, ballots, "--matter", "nope")).startswith(
        "fundvote tally: --matter: 'nope' is not a matter"
    )
    assert one_line(cli("tally", str(files["broken.xlsx"]), ballots, "--matter", "rules"))
    assert one_line(cli("tally", good, ballots, "--matter", "rules", "--scope-buildings", "9"))


def test_ballot_list_and_step(cli, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    assert one_line(cli("ballot", "list", "NOPE")) == "fundvote: There is no community NOPE."
    runtime.run(
        auth.add_user, username="boss", password="a long enough password", role="admin",
        communities=[],
    )  # fmt: skip
    assert one_line(cli("ballot", "step", "open", "NO-SUCH", "--by", "boss")) == (
        "fundvote: There is no such ballot."
    )
    assert one_line(cli("ballot", "step", "open", "NO-SUCH", "--by", "nobody")).endswith(
        "nobody is not an active committee member or admin"
    )
    assert one_line(cli("ballot", "step", "cancel", "NO-SUCH", "--by", "boss")).endswith(
        "--reason is required"
    )


def test_keys(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "none.key"
    line = one_line(cli("keys", "show", env={"FUNDVOTE_SIGNING_KEY_FILE": str(missing)}))
    assert line.startswith(f"Error: {missing}: No signing key file")
    line = one_line(cli("keys", "rotate", env={"FUNDVOTE_SIGNING_KEY_FILE": str(tmp_path)}))
    assert line == f"{tmp_path}: cannot be used (Is a directory)"


def test_users(cli) -> None:  # type: ignore[no-untyped-def]
    line = one_line(cli("user", "add", "x", "--role", "nope", "--password-stdin", input="p\n"))
    assert line.startswith("fundvote: unknown role 'nope'")
    assert one_line(cli("user", "token", "nobody")).startswith("fundvote: ")


def test_an_unexpected_failure_is_one_line_with_a_reference(  # type: ignore[no-untyped-def]
    cli, runtime: Runtime
) -> None:
    # The database cannot be opened: not the user's input, so status 1 and a reference.
    unreachable = {"FUNDVOTE_DATABASE_URL": "sqlite:////nonexistent-dir/fundvote.db"}
    line = one_line(cli("init", env=unreachable), status=1)
    found = re.fullmatch(
        r"fundvote init: unexpected error OperationalError, reference ([0-9a-f]{12}); "
        r"details in (.+)",
        line,
    )
    assert found is not None, line
    log = Path(found.group(2))
    assert log == runtime.settings.instance_path.resolve() / LOG_FILE_NAME
    text = log.read_text(encoding="utf-8")
    assert f"reference {found.group(1)}" in text
    assert "sqlalchemy.exc.OperationalError" in text and 'File "' in text
    assert "unable to open database file" not in text  # the message is never logged
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_a_server_fault_is_unexpected_a_refusal_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error table decides: a domain error that is our fault (500) is status 1 with a
    reference, one that is the user's (4xx) status 2 with its message."""
    monkeypatch.setenv("FUNDVOTE_INSTANCE_PATH", str(tmp_path))
    group = FundvoteGroup("fundvote")

    @group.command("fault")
    def fault() -> None:
        raise UndecryptableData(N_("A stored personal value cannot be read (bad format)."))

    @group.command("refused")
    def refused() -> None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code="X")

    line = one_line(CliRunner().invoke(group, ["fault"]), status=1)
    assert line.startswith("fundvote fault: unexpected error UndecryptableData, reference ")
    assert "UndecryptableData" in (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert one_line(CliRunner().invoke(group, ["refused"])) == "fundvote: There is no community X."
