"""The public recount files of a ballot, written once for the results pages and the API.

- :func:`board_document`: the board as JSON (the API's ``Board`` schema: ballot, mode, rows
  of tracker, units and choices), each row with the member's ``heads`` and, in ``named``
  mode, ``area`` (m², a string with two decimals, never a float);
- :func:`board_csv`: one question's ballots in the ``unit,choice`` format of
  ``fundvote tally``'s ballots file (``voting.ballot_file``): one row per member who answered
  the question, the member's first unit code (any unit of the member names it);
- :func:`roll_csv`: the ballot's frozen roll in the roll format (docs/roll-format.md) with
  the opaque member keys as ``owners``; no names, no phones.

So ``fundvote tally roll.csv board-q1.csv --matter M`` reproduces the published figures.
Every text cell is written through ``csv_cells`` (no spreadsheet formulas); areas are numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from estate.api import ROLL_COLUMNS, csv_cells, format_hundredths
from voting.api import BALLOT_COLUMNS, Board, RollLine


def board_document(board: Board) -> dict[str, Any]:
    """The board as the JSON the API and ``board.json`` share (see the module docstring)."""
    return {
        "ballot": board.ballot.ref,
        "mode": board.mode,
        "rows": [
            {
                "tracker": r.tracker,
                "units": list(r.units),
                "choices": list(r.choices),
                "heads": r.heads,
                "area": None if r.area_centi is None else format_hundredths(r.area_centi),
            }
            for r in board.rows
        ],
    }


def board_csv(board: Board, position: int) -> bytes | None:
    """The ballots file of question ``position`` (None if the ballot has no such question or
    the board lists trackers, whose rows name no unit)."""
    positions = [q.position for q in board.ballot.questions]
    if board.mode != "named" or position not in positions:
        return None
    at = positions.index(position)
    rows = [(r.units[0], r.choices[at]) for r in board.rows if r.units and r.choices[at]]
    rows.sort()
    return _csv(BALLOT_COLUMNS, rows)


def roll_csv(lines: Sequence[RollLine]) -> bytes:
    """The frozen roll as a roll file (``unit,building,area,owners,developer``)."""
    rows = [
        (
            line.unit,
            line.building,
            format_hundredths(line.area_centi),
            line.member_key,
            "1" if line.is_developer else "",
        )
        for line in lines
    ]
    return _csv(ROLL_COLUMNS, rows, numeric={ROLL_COLUMNS.index("area")})


def _csv(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int] | None = None
) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(csv_cells(row, numeric or set()) for row in rows)
    return buf.getvalue().encode("utf-8")
