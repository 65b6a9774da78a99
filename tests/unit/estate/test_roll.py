"""The roll file contract: CSV/XLSX parsing and validation, every problem collected."""

from __future__ import annotations

import io

import openpyxl
import pytest

from estate.roll import RollProblem, RollRow, format_problem, parse_roll
from estate.tables import write_table

HEADER = "unit,building,area,owners,developer"


def parse(text: str, name: str = "roll.csv") -> tuple[list[RollRow], list[RollProblem]]:
    return parse_roll(text.encode("utf-8"), name)


def lines(problems: list[RollProblem]) -> list[str]:
    return [format_problem(p) for p in problems]


def test_good_roll_with_optional_columns_and_bom() -> None:
    text = (
        "\ufeffunit,building,area,owners,developer,owner_names,owner_phones,kind\n"
        "1-101,1,89.37, o1 ; o2 ,,张三;李四,138 1234 1234;+8613912345678,\n"
        "1-102,1,90,o3,0,,,shop\n"
        "P-01,P,12.5,,1,,,parking\n"
    )
    rows, problems = parse(text)
    assert problems == []
    assert rows[0] == RollRow(
        line=2,
        unit="1-101",
        building="1",
        area_centi=8937,
        owner_keys=("o1", "o2"),
        is_developer_held=False,
        kind="flat",
        owner_names=("张三", "李四"),
        owner_phones=("13812341234", "13912345678"),
    )
    assert (rows[1].area_centi, rows[1].kind, rows[1].owner_names) == (9000, "shop", None)
    assert (rows[2].is_developer_held, rows[2].owner_keys, rows[2].area_centi) == (
        True,
        (),
        1250,
    )


def test_blank_lines_are_skipped_but_counted() -> None:
    rows, problems = parse(f"{HEADER}\n\n1-101,1,10,o1,\n")
    assert problems == []
    assert rows[0].line == 3


def test_every_problem_is_collected_with_line_and_field() -> None:
    text = (
        f"{HEADER},owner_names\n"
        "1-101,1,89.37,o1,,张三\n"  # 2 fine
        "1-101,1,50,o2,,\n"  # 3 duplicate unit
        "1-103,1,50,,,\n"  # 4 missing owners
        "1-104,1,12.345,o4,,\n"  # 5 bad area
        "1-105,,50,o5,,\n"  # 6 missing building
        "1-106,1,50,o6;o7,,王五\n"  # 7 misaligned names
        "1-107,1,50,o1,,李四\n"  # 8 conflicting name for o1
        "1-108,1,0,o8,2,\n"  # 9 zero area and bad developer flag
        "1-109,1,50,o9;;o10,,\n"  # 10 empty key
        "1-110,1,50,o9;o9,,\n"  # 11 repeated key
    )
    rows, problems = parse(text)
    assert rows == []
    assert lines(problems) == [
        "roll.csv:3: unit: unit '1-101' already appears on line 2",
        "roll.csv:4: owners: no owners are given and the unit is not developer-held",
        "roll.csv:5: area: '12.345' has more than two decimals (expected m² like 89.37)",
        "roll.csv:6: building: the building is missing",
        "roll.csv:7: owner_names: 1 value(s) for 2 owner(s): give one value for each"
        " owner, in the same order as the owners",
        "roll.csv:8: owner_names: owner 'o1' has a different name on line 2",
        "roll.csv:9: area: '0' is not greater than zero",
        "roll.csv:9: developer: '2' is not 1 (developer-held) or empty",
        "roll.csv:10: owners: 'o9;;o10' has an empty owner key",
        "roll.csv:11: owners: owner key 'o9' is listed twice",
    ]


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ("1e3", "'1e3' is not a decimal number"),
        ("-5", "'-5' is negative"),
        ("", "the area is missing"),
        ("abc", "'abc' is not a decimal number"),
    ],
)
def test_bad_areas(area: str, message: str) -> None:
    _rows, problems = parse(f"{HEADER}\nA,1,{area},o1,\n")
    assert [(p.line, p.field) for p in problems] == [(2, "area")]
    assert problems[0].text.startswith(message)


def test_missing_columns_is_one_problem_on_line_1() -> None:
    rows, problems = parse("unit,building,owners\nA,1,o1\n")
    assert rows == []
    assert lines(problems) == [
        "roll.csv:1: missing columns: area, developer "
        "(the header must be unit,building,area,owners,developer)"
    ]


def test_unknown_and_repeated_columns() -> None:
    _rows, problems = parse(f"{HEADER},owner_phone,unit\nA,1,1,o,,,\n")
    assert lines(problems) == [
        "roll.csv:1: unknown column: owner_phone",
        "roll.csv:1: repeated column: unit",
    ]


def test_empty_file_and_header_only() -> None:
    assert lines(parse("")[1]) == ["roll.csv:1: the file is empty: expected a header line"]
    assert lines(parse(HEADER + "\n")[1]) == ["roll.csv:1: the roll has no unit rows"]


def test_not_utf8() -> None:
    _rows, problems = parse_roll(f"{HEADER}\nA,1,1,张,\n".encode("gbk"), "roll.csv")
    assert len(problems) == 1
    assert format_problem(problems[0]).startswith("roll.csv:2: the file is not UTF-8 text")


def test_phone_problems_do_not_echo_the_number() -> None:
    _rows, problems = parse(f"{HEADER},owner_phones\nA,1,1,o1;o2,,1381234;call me\n")
    assert lines(problems) == [
        "roll.csv:2: owner_phones: value 2 does not look like a phone number"
    ]
    _rows, problems = parse(
        f"{HEADER},owner_phones\nA,1,1,o1,,13812341234\nB,1,1,o1,,13900000000\n"
    )
    assert lines(problems) == [
        "roll.csv:3: owner_phones: owner 'o1' has a different phone on line 2"
    ]
    assert "1390" not in problems[0].message


def test_developer_unit_may_list_owners_and_empty_name_positions() -> None:
    rows, problems = parse(f"{HEADER},owner_names\nA,1,1,o1;o2,1,;李四\nB,1,1,o1,,张三\n")
    assert problems == []
    assert rows[0].owner_names == (None, "李四")
    assert rows[0].is_developer_held


def test_extra_cells_beyond_header() -> None:
    _rows, problems = parse(f"{HEADER}\nA,1,1,o1,,surplus\n")
    assert lines(problems) == ["roll.csv:2: the row has 6 cells but the header has 5"]


def test_bad_kind() -> None:
    _rows, problems = parse(f"{HEADER},kind\nA,1,1,o1,,villa\n")
    assert lines(problems) == ["roll.csv:2: kind: 'villa' is not one of flat, shop, parking"]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_with_typed_numbers() -> None:
    data = _xlsx(
        [
            ["unit", "building", "area", "owners", "developer", "owner_phones"],
            ["1-101", 1, 89.37, "o1", None, 13812341234],
            ["1-102", 1, 90, "o2", 0, None],
            [None, None, None, None, None, None],
            ["P1", "P", "12.50", None, 1, None],
        ]
    )
    rows, problems = parse_roll(data, "roll.xlsx")
    assert problems == []
    assert [(r.line, r.unit, r.building, r.area_centi, r.is_developer_held) for r in rows] == [
        (2, "1-101", "1", 8937, False),
        (3, "1-102", "1", 9000, False),
        (5, "P1", "P", 1250, True),
    ]
    assert rows[0].owner_phones == ("13812341234",)


def test_xlsx_problems_use_sheet_rows() -> None:
    data = _xlsx(
        [
            ["unit", "building", "area", "owners", "developer"],
            ["A", "1", 12.345, "o1", None],
            ["B", None, 1, "o1", None],
        ]
    )
    _rows, problems = parse_roll(data, "upload.xlsx")
    assert lines(problems) == [
        "upload.xlsx:2: area: '12.345' has more than two decimals (expected m² like 89.37)",
        "upload.xlsx:3: building: the building is missing",
    ]


def test_xlsx_detected_by_content_and_garbage_refused() -> None:
    data = write_table(HEADER.split(","), [["A", "1", "1", "o1", ""]], "xlsx")
    rows, problems = parse_roll(data, "roll-without-extension")
    assert problems == [] and rows[0].unit == "A"
    _rows, problems = parse_roll(b"PK\x03\x04garbage", "x.xlsx")
    assert lines(problems) == [
        "x.xlsx:1: the file is not a valid XLSX workbook (it is not a ZIP archive)"
    ]


def test_csv_written_by_write_table_reads_back() -> None:
    data = write_table(
        [*HEADER.split(","), "owner_names"],
        [["A,1", "楼 1", "1.00", "o1;o2", "", '张"三;李四']],
        "csv",
    )
    rows, problems = parse_roll(data, "r.csv")
    assert problems == []
    assert (rows[0].unit, rows[0].building, rows[0].owner_names) == (
        "A,1",
        "楼 1",
        ('张"三', "李四"),
    )
