"""Hostile and broken roll files shared by the unit, service, HTTP and command-line tests."""

from __future__ import annotations

import io
import zipfile

import openpyxl

XLSX_MAGIC = b"PK\x03\x04"

ROLL_HEADER = ["unit", "building", "area", "owners", "developer", "owner_names"]

FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR"]
"""Owner names a spreadsheet program would run as formulas if written as they are."""

UNTERMINATED_QUOTE = (
    b"unit,building,area,owners,developer\n"
    b'1-101,1,89.37,"o1,\n'  # the quote opened here is never closed...
    b"1-102,1,90,o2,\n"  # ...so before strict parsing this row vanished into o1's key
)

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


def xlsx(rows: list[list[object]]) -> bytes:
    """A plain workbook whose first sheet holds ``rows``."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def good_xlsx() -> bytes:
    return xlsx([ROLL_HEADER, ["1-101", "1", 89.37, "o1", None, "张三"]])


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """``data`` (a ZIP) with member ``name`` replaced by (or added as) ``content``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(name, content)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def zip_bomb(megabytes: int = 70) -> bytes:
    """A valid workbook whose sheet unpacks to ``megabytes`` MB of blanks (about 0.2 MB
    packed): what an upload of a few MB that costs gigabytes looks like."""
    blanks = b" " * (megabytes * 1024 * 1024)
    return replace_member(good_xlsx(), SHEET, blanks)


def dense_member() -> bytes:
    """A workbook with a 2 MB member compressed a thousand to one (under the size limits)."""
    return replace_member(good_xlsx(), "xl/padding.xml", b" " * (2 * 1024 * 1024))


def many_members(count: int = 300) -> bytes:
    data = good_xlsx()
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        for i in range(count):
            z.writestr(f"xl/extra/{i}.xml", b"<x/>")
    return out.getvalue()


def malformed_xml() -> bytes:
    """A workbook whose sheet XML is cut off in the middle of a tag."""
    return replace_member(good_xlsx(), SHEET, b'<worksheet><sheetData><row r="1"><c r="A1" t=')


def entity_expansion() -> bytes:
    """A workbook whose sheet declares entities (the "billion laughs" shape)."""
    return replace_member(good_xlsx(), SHEET, BILLION_LAUGHS)
