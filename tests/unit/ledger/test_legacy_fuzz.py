"""Fuzzing the legacy file's reader: whatever the bytes, it gives balanced entries or named
problems (file, line >= 1, every placeholder filled), never another exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.legacy import parse_legacy
from tests.fuzz_files import csv_text, mutated, xlsx_bytes

VALID = (
    "entry,date,memo,account,debit,credit\n"
    "L1,2019-01-02,首次交存,1001,1000.00,\n"
    "L1,2019-01-02,,2101.1-101,,600.00\n"
    "L1,2019-01-02,,2101.1-102,,400.00\n"
    'L2,2019-06-30,"利息, 上半年",1001,0.35,\n'
    "L2,2019-06-30,,2101.1-101,,0.35\n"
).encode()
KNOWN = {"1001": True, "2101.1-101": True, "2101.1-102": True, "1202.1-101": False}


def _check(data: bytes, name: str) -> None:
    entries, problems = parse_legacy(data, name, KNOWN)
    assert not (entries and problems)
    for p in problems:
        assert p.file == name and p.line >= 1
        assert p.text and "%(" not in p.text
    for entry in entries:
        assert len(entry.lines) >= 2
        assert sum(line.amount_fen for line in entry.lines) == 0
        assert all(line.account in KNOWN and line.amount_fen for line in entry.lines)


def test_the_valid_file_parses() -> None:
    entries, problems = parse_legacy(VALID, "l.csv", KNOWN)
    assert problems == []
    assert [(e.id, e.memo, len(e.lines)) for e in entries] == [
        ("L1", "首次交存", 3),
        ("L2", "利息, 上半年", 2),
    ]


@given(csv_text())
def test_random_csv(data: bytes) -> None:
    _check(data, "l.csv")


@given(mutated(VALID))
def test_mutated_legacy_csv(data: bytes) -> None:
    _check(data, "l.csv")


@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _check(data, "l.csv")


@settings(max_examples=40, deadline=None)
@given(xlsx_bytes())
def test_random_xlsx(data: bytes) -> None:
    _check(data, "l.xlsx")
