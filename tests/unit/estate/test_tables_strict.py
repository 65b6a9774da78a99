"""The table reader is strict and bounded; the writer never writes a live formula.

Issue 8: a CSV with an unterminated quote was accepted (a row vanished into an owner key), a
3.7 MB XLSX zip bomb cost 51 s and 2.2 GB, malformed XLSX XML gave a 500, and exported names
starting with ``=``, ``+``, ``-`` or ``@`` were live formulas in a spreadsheet program.
"""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate import tables
from estate.roll import format_problem, parse_roll
from estate.tables import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_LINES,
    UnreadableTable,
    csv_cells,
    neutralise_formula,
    read_table,
    restore_formula_text,
    write_table,
)
from tests import hostile_files as hostile
from voting.ballot_file import parse_ballot_rows

HEADER = "unit,building,area,owners,developer"


def problems_of(data: bytes, name: str = "roll.csv") -> list[str]:
    return [format_problem(p) for p in parse_roll(data, name)[1]]


# --- strict CSV -------------------------------------------------------------------------------


def test_an_unterminated_quote_is_refused_with_its_line() -> None:
    assert problems_of(hostile.UNTERMINATED_QUOTE) == [
        "roll.csv:2: a quoted cell that starts on this line is never closed (unterminated quote)"
    ]


def test_the_line_of_an_unterminated_quote_counts_physical_lines() -> None:
    text = f'{HEADER},owner_names\nA,1,1,o1,,"two\nlines"\nB,1,1,o2,,"open\n'
    assert problems_of(text.encode()) == [
        "roll.csv:4: a quoted cell that starts on this line is never closed (unterminated quote)"
    ]
    rows, problems = parse_roll(
        f'{HEADER},owner_names\nA,1,1,o1,,"x\ny"\nB,1,1,o2,,\n'.encode(), "r"
    )
    assert problems == [] and [r.line for r in rows] == [2, 4]


def test_text_after_a_closing_quote_is_refused() -> None:
    assert problems_of(f'{HEADER}\nA,1,1,"o1"x,\n'.encode()) == [
        'roll.csv:2: a quote closes a cell but more text follows (write "" for a quote in a cell)'
    ]


def test_a_row_with_fewer_fields_than_the_header_is_refused() -> None:
    assert problems_of(f"{HEADER}\nA,1,1,o1,\nB,1,1\n".encode()) == [
        "roll.csv:3: the row has 3 cells but the header has 5"
    ]


def test_nul_and_control_characters_are_refused_naming_line_and_field() -> None:
    (problem,) = parse_roll(f"{HEADER}\nA,1,1,o1,\nB,1,1,o\x002,\n".encode(), "r.csv")[1]
    assert (problem.line, problem.field) == (3, "owners")
    assert format_problem(problem) == (
        "r.csv:3: owners: the cell holds a control character or an invalid character"
    )
    assert problems_of(f"{HEADER}\nA\x1b[31m,1,1,o1,\n".encode())[0].startswith("roll.csv:2: unit:")


def test_invalid_utf8_names_its_line_and_utf16_is_named() -> None:
    assert problems_of(f"{HEADER}\nA,1,1,o1,\nB,1,1,\xff,\n".encode("latin-1")) == [
        "roll.csv:3: the file is not UTF-8 text (bad byte at offset 52): save it as CSV in UTF-8"
    ]
    assert problems_of(f"{HEADER}\nA,1,1,o1,\n".encode("utf-16")) == [
        "roll.csv:1: the file is UTF-16 text: save it as CSV in UTF-8"
    ]


def test_one_leading_bom_is_dropped_a_second_is_not_a_column_name() -> None:
    rows, problems = parse_roll(f"\ufeff{HEADER}\nA,1,1,o1,\n".encode(), "r.csv")
    assert problems == [] and rows[0].unit == "A"
    assert problems_of(f"\ufeff\ufeff{HEADER}\nA,1,1,o1,\n".encode())[0].startswith(
        "roll.csv:1: missing column: unit"
    )


def test_size_lines_columns_and_cells_are_bounded() -> None:
    assert problems_of(b"x" * (MAX_FILE_BYTES + 1)) == ["roll.csv:1: the file is larger than 10 MB"]
    many = (HEADER + "\n" + "A,1,1,o1,\n" * MAX_LINES).encode()
    assert problems_of(many) == [
        f"roll.csv:{MAX_LINES + 1}: the file has more than 100000 rows after the header"
    ]
    most = (HEADER + "\n" + "\n" * (MAX_LINES - 2) + "A,1,1,o1,\n").encode()
    assert parse_roll(most, "r.csv")[0][0].line == MAX_LINES
    wide = HEADER + ",x" * MAX_COLUMNS + "\n"
    assert problems_of(wide.encode()) == ["roll.csv:1: the row has more than 64 columns"]
    long_cell = f"{HEADER},owner_names\nA,1,1,o1,,{'名' * (MAX_CELL_CHARS + 1)}\n"
    assert problems_of(long_cell.encode()) == [
        "roll.csv:2: owner_names: the cell is longer than 2000 characters"
    ]


def test_a_50000_unit_roll_is_well_within_the_limits() -> None:
    lines = [f"{HEADER},owner_names,owner_phones,kind"]
    for i in range(50_000):
        lines.append(
            f"{i // 500:03d}-{i % 500:04d},{i // 500:03d},{100 + i % 50}.37,"
            f"O{2 * i:06d};O{2 * i + 1:06d},,欧阳明华;欧阳明华{i},138{i:08d};139{i:08d},flat"
        )
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) < MAX_FILE_BYTES // 2
    rows, problems = parse_roll(data, "big.csv")
    assert problems == [] and len(rows) == 50_000


def test_the_ballots_file_is_read_as_strictly() -> None:
    _rows, problems = parse_ballot_rows(b'unit,choice\nA,agree\n"B,oppose\n', "b.csv")
    assert [format_problem(p) for p in problems] == [
        "b.csv:3: a quoted cell that starts on this line is never closed (unterminated quote)"
    ]


# --- bounded XLSX -----------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_any_xml_is_parsed() -> None:
    assert problems_of(hostile.zip_bomb(), "bomb.xlsx") == [
        "bomb.xlsx:1: the XLSX workbook unpacks to more than 64 MB"
    ]
    assert problems_of(hostile.dense_member(), "dense.xlsx") == [
        "dense.xlsx:1: the XLSX workbook is compressed more than 100 to 1 (a zip bomb?)"
    ]
    assert problems_of(hostile.many_members(), "many.xlsx") == [
        "many.xlsx:1: the XLSX workbook holds more than 200 files"
    ]


@pytest.mark.parametrize(
    "data",
    [
        hostile.malformed_xml(),
        hostile.entity_expansion(),
        hostile.replace_member(hostile.good_xlsx(), "xl/workbook.xml", b"not xml"),
        hostile.replace_member(hostile.good_xlsx(), "[Content_Types].xml", b"<Types/>"),
        hostile.replace_member(hostile.good_xlsx(), "xl/styles.xml", b"<styleSheet><x"),
    ],
    ids=["cut-off-sheet", "entities", "workbook-not-xml", "no-content-types", "bad-styles"],
)
def test_malformed_xlsx_is_not_a_valid_workbook(data: bytes) -> None:
    assert problems_of(data, "bad.xlsx") == [
        "bad.xlsx:1: the file is not a valid XLSX workbook (open it in a spreadsheet program "
        "and save it again as .xlsx)"
    ]


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_xlsx_rows_and_columns_are_bounded() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(hostile.ROLL_HEADER)
    sheet.cell(row=2, column=MAX_COLUMNS + 1, value="far")
    buf = io.BytesIO()
    book.save(buf)
    assert problems_of(buf.getvalue(), "wide.xlsx") == [
        "wide.xlsx:2: the row has more than 64 columns"
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(hostile.ROLL_HEADER)
    sheet.cell(row=MAX_LINES + 1, column=1, value="far")
    buf = io.BytesIO()
    book.save(buf)
    assert problems_of(buf.getvalue(), "long.xlsx") == [
        f"long.xlsx:{MAX_LINES + 1}: the file has more than 100000 rows after the header"
    ]


def test_read_table_raises_only_unreadable_table() -> None:
    with pytest.raises(UnreadableTable) as caught:
        read_table(hostile.zip_bomb(), "x.xlsx")
    assert caught.value.line == 1


# --- formulas in exports ----------------------------------------------------------------------


@pytest.mark.parametrize("name", hostile.FORMULA_NAMES)
def test_a_formula_trigger_gets_an_apostrophe(name: str) -> None:
    assert neutralise_formula(name) == "'" + name
    assert restore_formula_text(neutralise_formula(name)) == name


@given(st.text(max_size=20))
def test_neutralising_is_undone_exactly(text: str) -> None:
    escaped = neutralise_formula(text)
    assert restore_formula_text(escaped) == text
    assert escaped[:1] not in tables.FORMULA_TRIGGERS


def test_csv_numbers_stay_numbers_text_never_a_formula() -> None:
    assert csv_cells(["-2", "-2.50", "=1+1", "+1"], numeric={1, 2}) == [
        "'-2",
        "-2.50",
        "'=1+1",
        "'+1",
    ]
    data = write_table(["name", "amount"], [[n, "-2.50"] for n in hostile.FORMULA_NAMES], "csv")
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    assert [r[0] for r in rows] == ["'" + n for n in hostile.FORMULA_NAMES]
    data = write_table(["name", "amount"], [["x", "-2.50"]], "csv", numeric={1})
    assert data.decode().splitlines()[1] == "x,-2.50"


def test_xlsx_text_is_a_string_cell_and_numbers_are_numbers() -> None:
    body = [[n, "-2.50"] for n in hostile.FORMULA_NAMES]
    data = write_table(["name", "amount"], body, "xlsx", numeric={1})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"<f>" not in z.read(hostile.SHEET)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    names = [sheet.cell(row=r, column=1) for r in range(2, len(body) + 2)]
    # (XML turns a CR into a LF; the cell is text all the same)
    assert [(c.value, c.data_type) for c in names] == [
        (n.replace("\r", "\n"), "s") for n in hostile.FORMULA_NAMES
    ]
    amount = sheet.cell(row=2, column=2)
    assert (amount.value, amount.data_type) == (-2.5, "n")


def test_a_bad_header_cell_names_its_column_number() -> None:
    assert problems_of(f"{HEADER},x\x07y\nA,1,1,o1,,\n".encode()) == [
        "roll.csv:1: column 6: the cell holds a control character or an invalid character"
    ]
