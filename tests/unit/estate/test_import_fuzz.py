"""Fuzzing the file readers: whatever the bytes, a roll or ballots file parses cleanly or
comes back as named problems (file, line >= 1), never as another exception."""

from __future__ import annotations

from hypothesis import given, settings

from estate.roll import RollProblem, parse_roll
from tests.fuzz_files import csv_text, xlsx_bytes
from voting.ballot_file import parse_ballot_rows


def _check(rows: list[object], problems: list[RollProblem], name: str) -> None:
    assert not (rows and problems)
    for p in problems:
        assert p.file == name and p.line >= 1
        assert p.text  # the message's placeholders are all filled


@given(csv_text())
def test_roll_csv(data: bytes) -> None:
    rows, problems = parse_roll(data, "r.csv")
    _check(list(rows), problems, "r.csv")


@settings(max_examples=60, deadline=None)
@given(xlsx_bytes())
def test_roll_xlsx(data: bytes) -> None:
    rows, problems = parse_roll(data, "r.xlsx")
    _check(list(rows), problems, "r.xlsx")


@given(csv_text())
def test_ballots_csv(data: bytes) -> None:
    rows, problems = parse_ballot_rows(data, "b.csv")
    _check(list(rows), problems, "b.csv")


@settings(max_examples=30, deadline=None)
@given(xlsx_bytes())
def test_ballots_xlsx(data: bytes) -> None:
    rows, problems = parse_ballot_rows(data, "b.xlsx")
    _check(list(rows), problems, "b.xlsx")
