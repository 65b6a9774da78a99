"""Helpers shared by the file-reading commands (``apportion``, ``tally``, ``roll import``).

Conventions: bad input exits with status 2 after ONE line on stderr that names the file (and
line, when there is one) and the problem; never a traceback.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from estate.api import RollProblem, RollRow, format_problem
from fundvote.config import load_settings
from fundvote.runtime import Runtime, build_runtime
from notary.api import DomainError


def fail(message: str) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with status 2."""
    click.echo(message, err=True)
    sys.exit(2)


def read_file(path_text: str, what: str = "roll file") -> bytes:
    """The bytes of ``path_text``; a missing or unreadable file fails with one line."""
    path = Path(path_text)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"{path_text}: no such file")
    except IsADirectoryError:
        fail(f"{path_text}: is a directory, not a {what}")
    except OSError as exc:
        fail(f"{path_text}: cannot be read ({exc.strerror})")


def one_line(problems: Sequence[RollProblem]) -> str:
    """The first problem, then how many more there are: ``f:3: area: ... (and 2 more problems)``."""
    first = format_problem(problems[0])
    more = len(problems) - 1
    return first if not more else f"{first} (and {more} more problem{'s' if more > 1 else ''})"


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
        fail(f"fundvote {command}: --scope-buildings: '{buildings}' has an empty building code")
    known = {r.building for r in rows}
    unknown = [b for b in wanted if b not in known]
    if unknown:
        fail(
            f"{filename}: --scope-buildings: building '{unknown[0]}' is not in the roll"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
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
        fail(f"fundvote: {exc.text}")
    try:
        yield runtime
    except DomainError as exc:
        fail(f"fundvote: {exc.text}")
    finally:
        runtime.engine.dispose()
