"""An owner's unit statement as a file (pure): the JSON the owner's statement page offers
for download, which the offline verifier (``audit.ledger_statement``) compares line by line
with the log's postings to the unit's sub-account. Unit code and amounts only: nothing
personal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.reports import UnitStatement

STATEMENT_VERSION = 1
"""The version of the statement file's format (docs/audit-bundle.md)."""


def statement_json(statement: UnitStatement) -> dict[str, Any]:
    """A unit statement (``ledger.reports.unit_statement``) as the owner downloads it: the
    period, opening balance, each posting with its running balance (natural side: + in,
    - out), closing balance and what the owner owes for shortfalls."""
    return {
        "version": STATEMENT_VERSION,
        "community": statement.community_code,
        "unit": statement.unit_code,
        "start": statement.start.isoformat(),
        "end": statement.end.isoformat(),
        "opening_fen": statement.opening_fen,
        "lines": [
            {
                "value_date": line.value_date.isoformat(),
                "entry": line.entry,
                "kind": line.kind,
                "memo": line.memo,
                "amount_fen": line.amount_fen,
                "running_fen": line.running_fen,
            }
            for line in statement.lines
        ],
        "closing_fen": statement.closing_fen,
        "owed_fen": statement.owed_fen,
    }
