"""Reading and writing simple tables (CSV in UTF-8, or the first sheet of an XLSX workbook).

A table is a header and data records, all cells as text. Records carry their line number:
1 is the header line, so the first data record is line 2 (for XLSX, the sheet row number).
Completely blank records are skipped. No validation happens here: see ``estate.roll``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from notary.errors import N_

XLSX_MAGIC = b"PK\x03\x04"


class UnreadableTable(Exception):
    """The bytes are not a readable CSV or XLSX file.

    ``message`` says why, as an English msgid about "the file" with named placeholders filled
    from ``params`` (translated when shown, like a domain error's message).
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Table:
    header: list[str]
    records: list[tuple[int, list[str]]]


def is_xlsx(data: bytes, filename: str = "") -> bool:
    """True when the bytes (or the name) say this is an XLSX workbook."""
    return filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC)


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a CSV (UTF-8, BOM accepted) or XLSX file into text cells; raise ``UnreadableTable``."""
    if is_xlsx(data, filename):
        return _read_xlsx(data)
    return _read_csv(data)


def write_table(header: Sequence[str], rows: Sequence[Sequence[str]], fmt: str) -> bytes:
    """Write text cells as CSV (UTF-8, no BOM, ``\\r\\n`` line ends) or XLSX (cells as text)."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8")
    if fmt == "xlsx":
        return _write_xlsx(header, rows)
    raise ValueError(f"unknown table format {fmt!r}")


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableTable(
            N_("the file is not UTF-8 text (bad byte at offset %(offset)s)"), offset=exc.start
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UnreadableTable(
            N_("the file is not valid CSV (%(reason)s)"), reason=str(exc)
        ) from None
    return _split(enumerate(rows, start=1))


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableTable(
            N_("the file is not a readable XLSX workbook (%(reason)s)"),
            reason=type(exc).__name__,
        ) from None
    try:
        sheet = book.worksheets[0]
        numbered = [
            (i, [_cell_text(v) for v in row])
            for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    return _split(iter(numbered))


def _cell_text(value: object) -> str:
    """Text of an XLSX cell. Numbers typed into a spreadsheet arrive as Python numbers; their
    shortest decimal representation is what was typed (``89.37``), which the roll rules then
    parse exactly. Computed values with binary noise (``89.37000000000001``) are refused there.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _split(numbered: Iterable[tuple[int, list[str]]]) -> Table:
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    for line, cells in numbered:
        if header is None:
            header = list(cells)
            while header and not header[-1].strip():
                header.pop()
            continue
        if any(c.strip() for c in cells):
            records.append((line, list(cells)))
    return Table(header=header or [], records=records)


def _write_xlsx(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "roll"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for column in sheet.iter_cols():
        for cell in column:
            cell.number_format = "@"  # keep every cell text: areas stay exact decimals
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
