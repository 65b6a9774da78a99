"""The ballots file of ``fundvote tally``: parsing it and resolving units to members (pure).

CSV in UTF-8 (a BOM is accepted; the first sheet of an XLSX workbook is read too) with the
header ``unit,choice``:

- ``unit``: ANY unit code of the voting member who casts the ballot; the ballot covers all
  that member's units in the scope. The unit must be on the roll and in the ballot's scope.
- ``choice``: ``agree``, ``oppose`` or ``abstain`` (exactly, after trimming).

Column names are matched after trimming, case-insensitively; an unknown or repeated column is
a problem. One member casts at most one ballot: a second row for the same member, through the
same unit or another unit of that member, is a problem. Problems are collected, in line order,
with the same shape and one-line format as the roll's (``estate.roll.RollProblem`` and
``format_problem``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from estate.roll import RollProblem
from estate.tables import UnreadableTable, read_table
from notary.errors import N_
from voting.members import Member
from voting.tally import Ballot, Choice

BALLOT_COLUMNS: tuple[str, ...] = ("unit", "choice")


@dataclass(frozen=True)
class BallotRow:
    """One well-formed row of a ballots file (not yet checked against the roll)."""

    line: int
    unit: str
    choice: Choice


def parse_ballot_rows(data: bytes, filename: str) -> tuple[list[BallotRow], list[RollProblem]]:
    """Parse the rows of a ballots file, without looking at the roll.

    Guarantees: never raises for bad content; when the problem list is empty every row has a
    non-empty unit and a valid choice; otherwise the problems name every bad row and field,
    sorted by line (a problem with the whole file, such as a missing column, is on line 1).
    A file with a header and no rows is valid: nobody voted.
    """
    try:
        table = read_table(data, filename)
    except UnreadableTable as exc:
        return [], [RollProblem(filename, exc.line, exc.field, exc.message, exc.params)]
    header = [h.strip().lower() for h in table.header]
    problems = _check_header(header, filename)
    if problems:
        return [], problems
    rows: list[BallotRow] = []
    for line, cells in table.records:
        before = len(problems)
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                RollProblem(
                    filename,
                    line,
                    "",
                    N_("the row has %(cells)s cells but the header has %(columns)s"),
                    {"cells": len(cells), "columns": len(header)},
                )
            )
        value = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        unit, text = value["unit"], value["choice"]
        if not unit:
            problems.append(RollProblem(filename, line, "unit", N_("the unit code is missing")))
        choice = _choice(text)
        if choice is None:
            problems.append(
                RollProblem(filename, line, "choice", N_("the choice is missing"))
                if not text
                else RollProblem(
                    filename,
                    line,
                    "choice",
                    N_("'%(value)s' is not a choice; expected agree, oppose or abstain"),
                    {"value": text},
                )
            )
        if len(problems) == before and choice is not None:
            rows.append(BallotRow(line, unit, choice))
    problems.sort(key=lambda p: p.line)
    return (rows if not problems else []), problems


def resolve_ballots(
    rows: Iterable[BallotRow],
    members: Iterable[Member],
    *,
    roll_units: Collection[str],
    filename: str,
) -> tuple[list[Ballot], list[RollProblem]]:
    """Turn ballot rows into one ``Ballot`` per voting member.

    ``members`` are the members of the ballot's scope (``group_members`` over the units in
    scope); ``roll_units`` are all the unit codes of the roll, to tell "not in the roll" from
    "not in the scope". Guarantees: never raises for bad rows; when the problem list is empty
    every ballot names a member of ``members`` and no member appears twice; otherwise every
    bad row is named, in line order: a unit not in the roll, a unit outside the scope, and a
    second ballot of a member (naming the line of the first).
    """
    member_of: dict[str, str] = {}
    for m in members:
        for code in m.unit_codes:
            member_of[code] = m.key
    first: dict[str, BallotRow] = {}
    ballots: list[Ballot] = []
    problems: list[RollProblem] = []
    for row in sorted(rows, key=lambda r: r.line):
        key = member_of.get(row.unit)
        if key is None:
            problems.append(
                RollProblem(
                    filename,
                    row.line,
                    "unit",
                    N_("unit '%(unit)s' is not in the roll")
                    if row.unit not in roll_units
                    else N_("unit '%(unit)s' is not in the ballot's scope"),
                    {"unit": row.unit},
                )
            )
            continue
        earlier = first.setdefault(key, row)
        if earlier is not row:
            problems.append(
                RollProblem(
                    filename,
                    row.line,
                    "unit",
                    N_("unit '%(unit)s' already voted on line %(first)s")
                    if earlier.unit == row.unit
                    else N_(
                        "unit '%(unit)s' belongs to the member who already voted with unit "
                        "'%(earlier)s' on line %(first)s"
                    ),
                    {"unit": row.unit, "earlier": earlier.unit, "first": earlier.line},
                )
            )
            continue
        ballots.append(Ballot(key, row.choice))
    return (ballots if not problems else []), problems


def _check_header(header: list[str], filename: str) -> list[RollProblem]:
    if not header:
        return [
            RollProblem(filename, 1, "", N_("the file is empty: expected the header unit,choice"))
        ]
    problems = []
    missing = [c for c in BALLOT_COLUMNS if c not in header]
    if missing:
        problems.append(
            RollProblem(
                filename,
                1,
                "",
                N_("missing columns: %(columns)s (the header must be %(header)s)")
                if len(missing) > 1
                else N_("missing column: %(columns)s (the header must be %(header)s)"),
                {"columns": ", ".join(missing), "header": ",".join(BALLOT_COLUMNS)},
            )
        )
    unknown = [h or "(blank)" for h in header if h not in BALLOT_COLUMNS]
    if unknown:
        problems.append(
            RollProblem(
                filename, 1, "", N_("unknown column: %(columns)s"), {"columns": ", ".join(unknown)}
            )
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        problems.append(
            RollProblem(
                filename,
                1,
                "",
                N_("repeated column: %(columns)s"),
                {"columns": ", ".join(repeated)},
            )
        )
    return problems


def _choice(text: str) -> Choice | None:
    try:
        return Choice(text)
    except ValueError:
        return None
