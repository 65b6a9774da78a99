"""Every spreadsheet fundvote writes neutralises formulas (OWASP "CSV injection"): owner
names, keys and unit codes that start with ``=``, ``+``, ``-`` or ``@`` come out as text,
areas stay numbers, and the files still import back unchanged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest

from estate.services import export_roll, import_roll_file
from fundvote import register_data
from fundvote.runtime import Runtime
from tests.hostile_files import FORMULA_NAMES
from voting.links import IssuedLink, IssuedLinks, links_csv

NAMES = [n for n in FORMULA_NAMES if not n[0].isspace()]  # names are trimmed on import
ROLL = (
    "unit,building,area,owners,developer,owner_names\n"
    + "".join(
        f"+{i},1,{i}.50,=o{i},,{_csv}\n"
        for i, _csv in enumerate(['"' + n.replace('"', '""') + '"' for n in NAMES], start=1)
    )
).encode()


@pytest.fixture
def loaded(runtime: Runtime, community: str) -> Runtime:
    runtime.run(
        import_roll_file,
        community_code=community,
        data=ROLL,
        filename="r.csv",
        cipher=runtime.cipher,
    )
    return runtime


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_roll_csv_export_escapes_text_and_keeps_areas(loaded: Runtime) -> None:
    rows = _rows(loaded.query(lambda uow: export_roll(uow.session, "JB01", "csv")))
    assert rows[0] == ["unit", "building", "area", "owners", "developer", "owner_names", "kind"]
    body = sorted(rows[1:])
    assert [r[5] for r in body] == ["'" + n for n in NAMES]
    assert [r[0] for r in body] == [f"'+{i}" for i in range(1, len(NAMES) + 1)]
    assert [r[3] for r in body] == [f"'=o{i}" for i in range(1, len(NAMES) + 1)]
    assert [r[2] for r in body] == [f"{i}.50" for i in range(1, len(NAMES) + 1)]


def test_roll_xlsx_export_writes_string_cells_and_numbers(loaded: Runtime) -> None:
    data = loaded.query(lambda uow: export_roll(uow.session, "JB01", "xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    body = list(sheet.iter_rows(min_row=2))
    names = sorted((row[5].value, row[5].data_type) for row in body)
    assert names == sorted((n, "s") for n in NAMES)
    assert all(row[0].data_type == "s" and row[3].data_type == "s" for row in body)
    assert sorted((row[2].value, row[2].data_type) for row in body)[0] == (1.5, "n")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_escaped_exports_import_back_unchanged(loaded: Runtime, fmt: str) -> None:
    data = loaded.query(lambda uow: export_roll(uow.session, "JB01", fmt))
    summary = loaded.run(
        import_roll_file,
        community_code="JB01",
        data=data,
        filename=f"back.{fmt}",
        cipher=loaded.cipher,
    )
    assert (summary.units_updated, summary.owners_updated, summary.units_created) == (0, 0, 0)
    assert summary.units_unchanged == len(NAMES)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_masked_export_escapes_too(loaded: Runtime, fmt: str) -> None:
    data = loaded.query(register_data.export, "JB01", fmt, clear_names=False)
    if fmt == "csv":
        names = [r[5] for r in _rows(data)[1:]]
        assert names and all(n.startswith("'") and n[1] in "=+-@" for n in names)
        return
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [row[5] for row in sheet.iter_rows(min_row=2)]
    assert cells and all(c.data_type == "s" and c.value[0] in "=+-@" for c in cells)


def test_links_csv_escapes_labels_and_keeps_the_area() -> None:
    link = IssuedLink(1, "m1", '=HYPERLINK("http://x","y")', False, ("@1", "-2"), -250, "u")
    issued = IssuedLinks("B1", "t", "JB01", "n", datetime(2026, 1, 1, tzinfo=UTC), (link,))
    rows = _rows(
        links_csv(issued, header=("+units", "owners", "area", "link"), developer_label="d")
    )
    assert rows == [
        ["'+units", "owners", "area", "link"],
        ["'@1 -2", '\'=HYPERLINK("http://x","y")', "-2.50", "u"],
    ]
