"""Reading and writing simple tables (CSV in UTF-8, or the first sheet of an XLSX workbook).

A table is a header and data records, all cells as text. Records carry their line number:
1 is the header line, so the first data record is line 2 (for CSV, the physical line the record
starts on; for XLSX, the sheet row number). Completely blank records are skipped. Only the
file's structure is checked here (see ``estate.roll`` for the roll's rules):

- **Bounded.** A file larger than :data:`MAX_FILE_BYTES`, more than :data:`MAX_LINES` lines
  (rows), more than :data:`MAX_COLUMNS` columns, or a cell longer than :data:`MAX_CELL_CHARS`
  characters is refused. An XLSX workbook is a ZIP archive: before any XML is parsed, its
  member count, each member's and the total uncompressed size and each large member's
  compression ratio are checked against :data:`MAX_ZIP_MEMBERS`, :data:`MAX_MEMBER_BYTES`,
  :data:`MAX_UNPACKED_BYTES` and :data:`MAX_RATIO` (Python's ``zipfile`` never inflates a
  member beyond its declared size, so the declared sizes are the real bounds). A zip bomb is
  refused in milliseconds. Its XML is parsed by openpyxl through ``defusedxml`` (no DTDs, no
  entity expansion); anything openpyxl cannot read is "not a valid XLSX workbook".
- **Strict CSV.** UTF-8 (one leading byte-order mark is accepted and dropped, UTF-16 is named
  as such), quotes must be closed, no record has fewer fields than the header line (more is
  the row check's business: ``estate.roll`` ignores blank surplus cells and names others).
- **Clean cells.** No NUL or other control character (tab, CR and LF excepted), no lone
  surrogate.

Every refusal is an :class:`UnreadableTable` naming the line and, where there is one, the
field (column). Writing neutralises spreadsheet formulas (OWASP "CSV injection"): see
:func:`neutralise_formula`; reading undoes exactly that escape, so exports import back.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from notary.errors import N_

XLSX_MAGIC = b"PK\x03\x04"

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest roll or ballots file, CSV or XLSX (a 50,000-unit roll with names and phones is
about 3 MB as CSV, 2.7 MB as XLSX)."""
MAX_LINES = 100_001
"""Most lines (rows) in a file: the header and 100,000 more, twice the largest community's
units."""
MAX_COLUMNS = 64
"""Most columns (fields) in a row."""
MAX_CELL_CHARS = 2_000
"""Longest cell, in characters."""
MAX_ZIP_MEMBERS = 200
"""Most files inside an XLSX archive (a spreadsheet program writes about a dozen)."""
MAX_MEMBER_BYTES = 64 * 1024 * 1024
"""Largest uncompressed file inside an XLSX archive (a 50,000-unit sheet is about 25 MB)."""
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
"""Largest total uncompressed size of an XLSX archive."""
MAX_RATIO = 100
"""Highest compression ratio of a member larger than :data:`RATIO_FLOOR_BYTES` (real sheets
compress about 10 to 1; zip bombs a thousand to one)."""
RATIO_FLOOR_BYTES = 1024 * 1024

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program read a text cell as a formula."""
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_NEEDS_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class UnreadableTable(Exception):
    """The bytes are not a readable CSV or XLSX file, or break one of its limits.

    ``message`` says why, as an English msgid with named placeholders filled from ``params``
    (translated when shown, like a domain error's message); ``line`` is where (1 for the
    whole file), ``field`` the column when there is one.
    """

    def __init__(self, message: str, *, line: int = 1, field: str = "", **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.line = line
        self.field = field


@dataclass(frozen=True)
class Table:
    header: list[str]
    records: list[tuple[int, list[str]]]


def is_xlsx(data: bytes, filename: str = "") -> bool:
    """True when the bytes (or the name) say this is an XLSX workbook."""
    return filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC)


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a CSV (UTF-8, BOM accepted) or XLSX file into text cells.

    Guarantees: returns only a table within every limit of this module, with clean cells and,
    for CSV, no record narrower than the header; anything else raises ``UnreadableTable``
    (never another exception, whatever the bytes). Reads only: it writes nothing anywhere.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableTable(
            N_("the file is larger than %(mb)s MB"), mb=MAX_FILE_BYTES // (1024 * 1024)
        )
    if is_xlsx(data, filename):
        return _split(_read_xlsx(data))
    return _split(_read_csv(data))


def neutralise_formula(text: str) -> str:
    """A text cell that a spreadsheet program will show as text, never run as a formula.

    Guarantees: a text starting with ``=``, ``+``, ``-``, ``@``, tab or CR (after any
    apostrophes) gets one leading ``'``; every other text is returned unchanged;
    ``restore_formula_text(neutralise_formula(t)) == t`` for every ``t``. For text cells
    only: a numeric column is written as it is (a negative amount stays a number).
    """
    return "'" + text if _NEEDS_ESCAPE.match(text) else text


def restore_formula_text(text: str) -> str:
    """Undo :func:`neutralise_formula` (drop one ``'`` before a formula trigger), so that a
    file fundvote exported imports back unchanged."""
    return text[1:] if _ESCAPED.match(text) else text


def write_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    fmt: str,
    *,
    numeric: Collection[int] = (),
) -> bytes:
    """Write text cells as CSV (UTF-8, no BOM, ``\\r\\n`` line ends) or XLSX.

    Columns whose index is in ``numeric`` hold decimal numbers (``89.37``, ``-2.50``): CSV
    writes them as they are, XLSX as number cells (format ``0.00`` when written with decimals,
    ``0`` for whole numbers). Every other cell is text and can never be
    a formula: CSV gets :func:`neutralise_formula`, XLSX a string cell (never a formula
    cell). A "numeric" cell that is not a plain decimal is treated as text.
    """
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([neutralise_formula(h) for h in header])
        writer.writerows(csv_cells(row, numeric) for row in rows)
        return buf.getvalue().encode("utf-8")
    if fmt == "xlsx":
        return _write_xlsx(header, rows, numeric)
    raise ValueError(f"unknown table format {fmt!r}")


def csv_cells(row: Sequence[str], numeric: Collection[int] = ()) -> list[str]:
    """One CSV row with every text cell passed through :func:`neutralise_formula`; cells of
    the ``numeric`` columns stay as they are when they are plain decimal numbers."""
    return [
        cell if i in numeric and _PLAIN_NUMBER.fullmatch(cell) else neutralise_formula(cell)
        for i, cell in enumerate(row)
    ]


def _read_csv(data: bytes) -> Iterable[tuple[int, list[str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableTable(N_("the file is UTF-16 text: save it as CSV in UTF-8"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableTable(
            N_(
                "the file is not UTF-8 text (bad byte at offset %(offset)s): "
                "save it as CSV in UTF-8"
            ),
            line=data.count(b"\n", 0, exc.start) + 1,
            offset=exc.start,
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width: int | None = None
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_problem(str(exc), line) from None
        if line > MAX_LINES:
            raise UnreadableTable(
                N_("the file has more than %(rows)s rows after the header"),
                line=line,
                rows=MAX_LINES - 1,
            )
        if not cells:
            yield line, cells  # a blank line
            continue
        if width is None:
            width = len(cells)
        elif len(cells) < width:
            # More cells than the header is the row check's business (blank ones, from a
            # trailing separator, are ignored; others are a problem of that row).
            raise UnreadableTable(
                N_("the row has %(cells)s cells but the header has %(columns)s"),
                line=line,
                cells=len(cells),
                columns=width,
            )
        yield line, cells


def _csv_problem(reason: str, line: int) -> UnreadableTable:
    if "end of data" in reason:
        return UnreadableTable(
            N_("a quoted cell that starts on this line is never closed (unterminated quote)"),
            line=line,
        )
    if "expected after" in reason:
        return UnreadableTable(
            N_('a quote closes a cell but more text follows (write "" for a quote in a cell)'),
            line=line,
        )
    if "field larger" in reason:
        return UnreadableTable(
            N_("a cell is longer than %(chars)s characters"), line=line, chars=MAX_CELL_CHARS
        )
    return UnreadableTable(N_("the file is not valid CSV"), line=line)


def _check_archive(data: bytes) -> None:
    """Refuse an XLSX archive that is not a ZIP or would unpack beyond the limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UnreadableTable(
            N_("the file is not a valid XLSX workbook (it is not a ZIP archive)")
        ) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnreadableTable(
            N_("the XLSX workbook holds more than %(count)s files"), count=MAX_ZIP_MEMBERS
        )
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > MAX_MEMBER_BYTES or total > MAX_UNPACKED_BYTES:
            raise UnreadableTable(
                N_("the XLSX workbook unpacks to more than %(mb)s MB"),
                mb=(MAX_MEMBER_BYTES if size > MAX_MEMBER_BYTES else MAX_UNPACKED_BYTES)
                // (1024 * 1024),
            )
        if size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(member.compress_size, 1):
            raise UnreadableTable(
                N_("the XLSX workbook is compressed more than %(ratio)s to 1 (a zip bomb?)"),
                ratio=MAX_RATIO,
            )


def _read_xlsx(data: bytes) -> Iterable[tuple[int, list[str]]]:
    import openpyxl

    _check_archive(data)
    rows: list[tuple[int, list[str]]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise UnreadableTable(N_("the XLSX workbook has no sheet"))
                sheet = book.worksheets[0]
                numbered = enumerate(
                    sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
                )
                for line, values in numbered:
                    if line > MAX_LINES:
                        if any(v is not None for v in values):
                            raise UnreadableTable(
                                N_("the file has more than %(rows)s rows after the header"),
                                line=line,
                                rows=MAX_LINES - 1,
                            )
                        continue
                    if len(values) > MAX_COLUMNS and any(
                        v is not None for v in values[MAX_COLUMNS:]
                    ):
                        raise UnreadableTable(
                            N_("the row has more than %(columns)s columns"),
                            line=line,
                            columns=MAX_COLUMNS,
                        )
                    kept = list(values[:MAX_COLUMNS])
                    while kept and kept[-1] is None:
                        kept.pop()  # openpyxl pads every row to max_col
                    rows.append((line, [_cell_text(v) for v in kept]))
            finally:
                book.close()
    except UnreadableTable:
        raise
    except Exception:  # any failure inside openpyxl means the file is bad
        raise UnreadableTable(
            N_(
                "the file is not a valid XLSX workbook (open it in a spreadsheet program and "
                "save it again as .xlsx)"
            )
        ) from None
    return rows


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
        if header is not None and not any(c.strip() for c in cells):
            continue
        if len(cells) > MAX_COLUMNS and any(c.strip() for c in cells[MAX_COLUMNS:]):
            raise UnreadableTable(
                N_("the row has more than %(columns)s columns"), line=line, columns=MAX_COLUMNS
            )
        cells = [_clean(line, i, c, header) for i, c in enumerate(cells[:MAX_COLUMNS])]
        if header is None:
            header = list(cells)
            while header and not header[-1].strip():
                header.pop()
            continue
        records.append((line, cells))
    return Table(header=header or [], records=records)


def _clean(line: int, index: int, cell: str, header: list[str] | None) -> str:
    """The cell with the export's formula escape undone; refuse bad characters or length."""
    if len(cell) > MAX_CELL_CHARS or _BAD_CHAR.search(cell):
        field = header[index].strip().lower() if header and index < len(header) else ""
        if len(cell) > MAX_CELL_CHARS:
            raise UnreadableTable(
                N_("the cell is longer than %(chars)s characters")
                if field
                else N_("column %(column)s: the cell is longer than %(chars)s characters"),
                line=line,
                field=field,
                column=index + 1,
                chars=MAX_CELL_CHARS,
            )
        raise UnreadableTable(
            N_("the cell holds a control character or an invalid character")
            if field
            else N_(
                "column %(column)s: the cell holds a control character or an invalid character"
            ),
            line=line,
            field=field,
            column=index + 1,
        )
    return restore_formula_text(cell)


def _write_xlsx(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Collection[int]
) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "roll"
    for r, row in enumerate([header, *rows], start=1):
        for c, text in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if r > 1 and c - 1 in numeric and _PLAIN_NUMBER.fullmatch(text):
                cell.value = Decimal(text)
                # Amounts and areas keep their two decimals; counts are whole numbers.
                cell.number_format = "0.00" if "." in text else "0"
                continue
            cell.value = text
            cell.data_type = "s"  # a string cell, never a formula: "=..." stays text
            cell.number_format = "@"  # and typed-in text stays text when edited
            if _NEEDS_ESCAPE.match(text):
                cell.quotePrefix = True
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
