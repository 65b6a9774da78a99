"""Checking an owner's unit statement against the log (pure).

The statement is the JSON download of the owner's statement page (what
``ledger.statement_file.statement_json`` writes from ``ledger.reports.unit_statement``): the
unit's sub-account over a period, opening balance, every posting in (value date, entry,
position) order with the running balance, closing balance and what the owner owes for
shortfalls at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from ledger.chart_spec import UNIT_RECEIVABLE, UNIT_SUBACCOUNT


class _Record(Protocol):
    @property
    def entry(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def value_date(self) -> date: ...

    @property
    def memo(self) -> str: ...

    @property
    def postings(self) -> tuple[tuple[str, int], ...]: ...


def expected_statement(
    records: Iterable[_Record], unit: str, start: date, end: date
) -> tuple[int, list[dict[str, Any]], int, int]:
    """(opening, lines, closing, owed) of ``unit``'s sub-account over ``start``..``end``,
    from the log's journal entries, as ``ledger.reports.unit_statement`` computes them."""
    account = f"{UNIT_SUBACCOUNT.code}.{unit}"
    receivable = f"{UNIT_RECEIVABLE.code}.{unit}"
    opening = owed = 0
    inside: list[tuple[date, int, int, _Record, int]] = []
    for record in records:
        for position, (code, amount) in enumerate(record.postings, start=1):
            if code == receivable and record.value_date <= end:
                owed += amount
            if code != account:
                continue
            if record.value_date < start:
                opening -= amount
            elif record.value_date <= end:
                inside.append((record.value_date, record.entry, position, record, amount))
    inside.sort(key=lambda item: item[:3])
    running = opening
    lines = []
    for value_date, number, _, record, amount in inside:
        running -= amount
        lines.append(
            {
                "value_date": value_date.isoformat(),
                "entry": number,
                "kind": record.kind,
                "memo": record.memo,
                "amount_fen": -amount,
                "running_fen": running,
            }
        )
    return opening, lines, running, owed


def check_statement(
    statement: Mapping[str, Any], records: Iterable[_Record]
) -> list[tuple[str, str]]:
    """Every difference between ``statement`` and the log, as (where, what); empty when
    every line of it equals the log's postings to the unit's sub-account."""
    try:
        unit = str(statement["unit"])
        start = date.fromisoformat(statement["start"])
        end = date.fromisoformat(statement["end"])
        lines = list(statement["lines"])
        opening, closing, owed = (
            int(statement["opening_fen"]),
            int(statement["closing_fen"]),
            int(statement["owed_fen"]),
        )
    except (KeyError, TypeError, ValueError):
        return [("statement", "the statement is not a unit statement download")]
    want_opening, want_lines, want_closing, want_owed = expected_statement(
        records, unit, start, end
    )
    problems: list[tuple[str, str]] = []
    if opening != want_opening:
        problems.append(
            (
                "statement:opening_fen",
                f"opening balance {opening} fen; the log gives {want_opening}",
            )
        )
    for n in range(max(len(lines), len(want_lines))):
        got = lines[n] if n < len(lines) else None
        want = want_lines[n] if n < len(want_lines) else None
        if got != want:
            if want is None:
                what = "the log has no such posting"
            elif got is None:
                what = f"entry {want['entry']}'s posting of {want['amount_fen']} fen is missing"
            else:
                what = (
                    f"the log's line is entry {want['entry']}, {want['value_date']}, "
                    f"{want['amount_fen']} fen, running {want['running_fen']} fen"
                )
            problems.append((f"statement:lines[{n}]", what))
            if len(problems) >= 20:
                break
    if closing != want_closing:
        problems.append(
            (
                "statement:closing_fen",
                f"closing balance {closing} fen; the log gives {want_closing}",
            )
        )
    if owed != want_owed:
        problems.append(("statement:owed_fen", f"owed {owed} fen; the log gives {want_owed}"))
    return problems
