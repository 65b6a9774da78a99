"""What every ``fundvote`` command shares: exit statuses, argument types, file reading.

Conventions (README, "Command line"):

- exit status 0: done;
- exit status 2: bad input (a usage error, a bad argument, a missing or bad file, an unknown
  community, ballot or user, a refused step): ONE line on stderr that names the file and line
  (or the argument) and the problem; never a traceback;
- exit status 1: an unexpected failure (our fault, or the database is unreachable): ONE line on
  stderr with a random reference; the traceback (frames and exception class, never its
  message, which may quote data) goes to the command line's log file,
  ``<instance>/fundvote-cli.log`` (:data:`LOG_FILE_NAME`), never to the terminal.

:class:`FundvoteGroup` enforces this for every command below the ``fundvote`` group.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import traceback
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from estate.api import RollProblem, RollRow
from fundvote.cli.speech import _, error_line, problem_line
from fundvote.config import BadSetting, load_settings
from fundvote.runtime import Runtime, build_runtime
from notary.api import N_, DomainError

BAD_INPUT = 2
"""Exit status for bad input: one line on stderr naming the file and line, or the argument."""
UNEXPECTED = 1
"""Exit status for an unexpected failure: one line with a reference; details in the log file."""
LOG_FILE_NAME = "fundvote-cli.log"
ROLL_FILE = N_("roll file")
"""What :func:`read_file` calls a file by default (the kinds are msgids: ``N_(...)``)."""
LEGACY_FILE = N_("legacy file")
STATEMENT_FILE = N_("statement file")
BALLOTS_FILE = N_("ballots file")
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def fail(message: str) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with status 2."""
    click.echo(" ".join(message.split("\n")), err=True)
    sys.exit(BAD_INPUT)


def no_such_community(code: str) -> NoReturn:
    """Fail with one line: there is no community ``code``."""
    fail("fundvote: " + _("There is no community %(code)s.", code=code))


def unexpected(error: BaseException, command: str) -> NoReturn:
    """Log ``error``'s traceback to the log file under a random reference, print one line
    naming the reference and exit with status 1. The exception's message is not logged or
    printed (it may quote personal data or SQL); its class and frames are."""
    reference = secrets.token_hex(6)
    frames: list[str] = []
    current: BaseException | None = error
    while current is not None:
        frames.append(f"{type(current).__module__}.{type(current).__qualname__}\n")
        frames.extend(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        current = current.__cause__ or current.__context__
        if current is not None:
            frames.append("caused by (or while handling):\n")
    where = _log_file()
    try:
        logger = _file_logger(where)
        logger.error(
            "unexpected %s in %r (reference %s)\n%s",
            type(error).__name__,
            command,
            reference,
            "".join(frames).rstrip("\n"),
        )
        line = _(
            "%(command)s: unexpected error %(kind)s, reference %(reference)s; details in %(path)s",
            command=command,
            kind=type(error).__name__,
            reference=reference,
            path=where,
        )
    except OSError:
        line = _(
            "%(command)s: unexpected error %(kind)s, reference %(reference)s (the log file "
            "could not be written)",
            command=command,
            kind=type(error).__name__,
            reference=reference,
        )
    click.echo(line, err=True)
    sys.exit(UNEXPECTED)


def refuse(error: DomainError, command: str = "fundvote") -> NoReturn:
    """A domain error as the command's outcome: status 2 with its message, unless the error
    table makes it a server fault (500: stored data or our code is wrong), which is
    :func:`unexpected`."""
    from fundvote.errors import status_for

    if status_for(error) == 500:
        unexpected(error, command)
    fail(f"fundvote: {error_line(error)}")


def _log_file() -> Path:
    instance = os.environ.get("FUNDVOTE_INSTANCE_PATH") or str(Path.cwd() / "instance")
    return Path(instance).resolve() / LOG_FILE_NAME


def _file_logger(path: Path) -> logging.Logger:
    """The ``fundvote.cli`` logger writing to ``path`` only (owner-only file), through the
    personal-data filters; it does not propagate to the terminal's handler."""
    from fundvote.logs import protect_handler

    logger = logging.getLogger("fundvote.cli")
    logger.propagate = False
    for handler in list(logger.handlers):
        if getattr(handler, "baseFilename", None) != str(path):
            logger.removeHandler(handler)
            handler.close()
    if not logger.handlers:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(protect_handler(handler))
    return logger


def _usage_line(error: click.UsageError) -> str:
    where = error.ctx.command_path if error.ctx is not None else "fundvote"
    return f"{where}: {' '.join(error.format_message().split())}"


class FundvoteGroup(click.Group):
    """The ``fundvote`` group: every command below it keeps the exit-status conventions of
    this module (usage errors one line too; a stray domain error is bad input; anything
    else unexpected)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        for position, arg in enumerate(args, start=1):
            if _BAD_TEXT.search(arg):
                fail(
                    _(
                        "fundvote: argument %(position)s holds a control character or is not "
                        "valid UTF-8",
                        position=position,
                    )
                )
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise  # plain ``fundvote``: the help, as click prints it
        except click.UsageError as error:
            fail(_usage_line(error))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise  # ``fundvote ballot``: that group's help
        except click.UsageError as error:
            fail(_usage_line(error))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except DomainError as error:
            refuse(error, " ".join(["fundvote", ctx.invoked_subcommand or ""]).strip())
        except BadSetting as error:
            fail(_(error.message, **error.params))
        except OSError as error:
            if error.filename is None:  # a socket or the like: not a path someone gave
                unexpected(error, " ".join(["fundvote", ctx.invoked_subcommand or ""]).strip())
            # A path from an argument or a setting that is a directory, missing, forbidden...
            fail(
                _(
                    "%(path)s: cannot be used (%(reason)s)",
                    path=error.filename,
                    reason=error.strerror or type(error).__name__,
                )
            )
        except Exception as error:
            unexpected(error, " ".join(["fundvote", ctx.invoked_subcommand or ""]).strip())


class WholeNumber(click.ParamType):
    """A click parameter type: an int in ``[low, high]`` written in ASCII digits only."""

    name = "integer"

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return f"{self.low}-{self.high}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        else:
            text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(self.high)):
            self.fail(
                _(
                    "'%(value)s' is not a whole number from %(low)s to %(high)s",
                    value=value,
                    low=self.low,
                    high=self.high,
                ),
                param,
                ctx,
            )
        number = int(text)
        if not self.low <= number <= self.high:
            self.fail(
                _(
                    "%(value)s is not from %(low)s to %(high)s",
                    value=number,
                    low=self.low,
                    high=self.high,
                ),
                param,
                ctx,
            )
        return number


def text_argument(value: str, *, what: str, limit: int, required: bool = True) -> str:
    """``value`` trimmed, at most ``limit`` characters and (when ``required``) not empty;
    anything else fails with one line naming ``what``."""
    text = value.strip()
    if required and not text:
        fail(_("%(what)s: must not be empty", what=what))
    if len(text) > limit:
        fail(_("%(what)s: longer than %(limit)s characters", what=what, limit=limit))
    return text


def read_file(path_text: str, what: str = ROLL_FILE) -> bytes:
    """The bytes of ``path_text``; a missing or unreadable file fails with one line.
    ``what`` names the kind of file, an msgid (:data:`ROLL_FILE`...)."""
    path = Path(path_text)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(_("%(path)s: no such file", path=path_text))
    except IsADirectoryError:
        fail(_("%(path)s: is a directory, not a %(what)s", path=path_text, what=_(what)))
    except OSError as exc:
        fail(_("%(path)s: cannot be read (%(reason)s)", path=path_text, reason=exc.strerror))


def one_line(problems: Sequence[RollProblem]) -> str:
    """The first problem, then how many more there are: ``f:3: area: ... (and 2 more problems)``."""
    return with_more(problem_line(problems[0]), len(problems) - 1)


def with_more(first: str, more: int) -> str:
    """``first``, then how many ``more`` problems there are (nothing when none)."""
    if not more:
        return first
    if more == 1:
        return _("%(first)s (and 1 more problem)", first=first)
    return _("%(first)s (and %(count)s more problems)", first=first, count=more)


def reject(lines: Sequence[str], more: int = 0) -> NoReturn:
    """A rejected file (nothing imported): every line but the last on stderr, then fail with
    the last, how many ``more`` problems were not shown, and that nothing was imported."""
    for line in lines[:-1]:
        click.echo(line, err=True)
    fail(_("%(problem)s (rejected, nothing imported)", problem=with_more(lines[-1], more)))


def scope_rows(
    rows: list[RollRow], buildings: str | None, filename: str, command: str
) -> list[RollRow]:
    """The rows of the buildings listed in ``--scope-buildings`` (all rows when ``None``).

    An empty code, or a building not in the roll, fails with one line.
    """
    if buildings is None:
        return rows
    wanted = [b.strip() for b in buildings.split(",")]
    if not any(wanted) or not all(wanted):
        fail(
            _(
                "fundvote %(command)s: --scope-buildings: '%(value)s' has an empty building code",
                command=command,
                value=buildings,
            )
        )
    known = {r.building for r in rows}
    unknown = [b for b in wanted if b not in known]
    if unknown:
        if len(unknown) == 1:
            fail(
                _(
                    "%(file)s: --scope-buildings: building '%(building)s' is not in the roll",
                    file=filename,
                    building=unknown[0],
                )
            )
        fail(
            _(
                "%(file)s: --scope-buildings: building '%(building)s' is not in the roll "
                "(and %(count)s more)",
                file=filename,
                building=unknown[0],
                count=len(unknown) - 1,
            )
        )
    return [r for r in rows if r.building in set(wanted)]


def text_width(text: str) -> int:
    """Display width in a terminal: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Columns padded to their display width; columns in ``right`` are right-aligned."""
    widths = [max(text_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - text_width(cell))
            cells.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


@contextmanager
def cli_runtime() -> Iterator[Runtime]:
    """The runtime from the environment for one command; a domain error (from opening it or
    from the command's use case) becomes one line on stderr and exit status 2."""
    try:
        runtime = build_runtime(load_settings())
    except DomainError as exc:
        refuse(exc)
    try:
        yield runtime
    except DomainError as exc:
        refuse(exc)
    finally:
        runtime.engine.dispose()
