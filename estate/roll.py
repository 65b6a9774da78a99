"""The roll file: parsing and validating the property register's import format (pure).

The format is a contract (see docs/roll-format.md). CSV in UTF-8 (a BOM is accepted) or the
first sheet of an XLSX workbook, with the header::

    unit,building,area,owners,developer[,owner_names][,owner_phones][,owner_ids][,kind]

- ``unit``: the unit code, non-empty, unique in the file.
- ``building``: the building code, non-empty.
- ``area``: m² with at most two decimals, > 0, stored as integer 0.01 m² (centi-m²).
- ``owners``: owner keys separated by ``;`` (trimmed, no empty keys, no repeats in a cell);
  required unless the unit is developer-held.
- ``developer``: ``1`` when the developer still holds the unit, else empty or ``0``.
- ``owner_names`` / ``owner_phones`` (optional): ``;``-separated, aligned position by
  position with ``owners``. An empty cell gives nothing for that row; an empty position gives
  nothing for that owner. One owner key must not get two different names (or phones).
- ``owner_ids`` (optional): ID numbers, aligned the same way; each an 18-character resident
  ID number with a right check character or another document's number
  (``estate.id_numbers``). Normalised (no spaces or hyphens, upper case); a bad one is named
  by its position, never echoed.
- ``kind`` (optional): ``flat`` (default), ``shop`` or ``parking``.

Bounds: codes at most 64 characters, owner keys 128, names 200, at most 50 owners per unit,
an area at most 1,000,000 m²; the file itself is bounded and read strictly by
``estate.tables`` (size, lines, columns, cells, quotes, encoding, XLSX expansion).

Each column may instead carry its Chinese title (:data:`CHINESE_TITLES`: ``房号``, ``楼栋``,
``面积（m²）``...), as in the XLSX files fundvote exports for the committee, so an exported
workbook imports back unchanged. Column names are matched after trimming, case-insensitively; an
unknown column is a problem
(a misspelt ``owner_phones`` would otherwise be dropped silently). ``parse_roll`` collects
every problem, in line order, instead of stopping at the first.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from estate import quantities
from estate.errors import BadQuantity
from estate.id_numbers import BAD_CHECK, id_number_problem, normalise_id_number
from estate.quantities import parse_hundredths
from estate.tables import Table, UnreadableTable, read_table
from notary.errors import N_

REQUIRED_COLUMNS: tuple[str, ...] = ("unit", "building", "area", "owners", "developer")
OPTIONAL_COLUMNS: tuple[str, ...] = ("owner_names", "owner_phones", "owner_ids", "kind")
UNIT_KINDS: tuple[str, ...] = ("flat", "shop", "parking")
CHINESE_TITLES: Mapping[str, str] = {
    "unit": "房号",
    "building": "楼栋",
    "area": "面积（m²）",
    "owners": "业主编号",
    "developer": "建设单位持有",
    "owner_names": "业主姓名",
    "owner_phones": "业主手机号",
    "kind": "类型",
}
"""The Chinese title of each column: a fixed part of the file format (not translated with the
interface), written as the header of XLSX exports and read back as the column it names."""
_COLUMN_OF_TITLE = {title: column for column, title in CHINESE_TITLES.items()}


def column_key(title: str) -> str:
    """The column a header cell names: its Chinese title's column, else the cell trimmed and
    lower-cased (``Unit`` -> ``unit``); an unknown title comes back as it is, to be refused."""
    cleaned = title.strip()
    return _COLUMN_OF_TITLE.get(cleaned, cleaned.lower())


SEPARATOR = ";"
MAX_CODE_CHARS = 64
"""Longest unit or building code (the register's column size)."""
MAX_OWNER_KEY_CHARS = 128
"""Longest owner key."""
MAX_NAME_CHARS = 200
"""Longest owner name."""
MAX_OWNERS = 50
"""Most co-owners of one unit."""
MAX_AREA_CENTI = 100_000_000
"""Largest area of one unit: 1,000,000.00 m² (so sums over any community fit in 64 bits)."""

# BadQuantity's messages, worded for the area column.
_AREA_PROBLEMS: dict[str, str] = {
    quantities.EMPTY: N_("the area is missing"),
    quantities.NEGATIVE: N_("'%(value)s' is negative (expected m² like 89.37)"),
    quantities.NOT_DECIMAL: N_("'%(value)s' is not a decimal number (expected m² like 89.37)"),
    quantities.TOO_PRECISE: N_("'%(value)s' has more than two decimals (expected m² like 89.37)"),
}
_PHONE = re.compile(r"(?:\+86)?[0-9]{7,12}")


@dataclass(frozen=True)
class RollProblem:
    """One thing wrong with a roll file: where (file, line, field) and what.

    ``message`` is an English msgid marked with ``N_`` whose named placeholders are filled
    from ``params`` (translated when shown on a page, like a domain error's message);
    :attr:`text` is the English sentence with the values filled in.
    """

    file: str
    line: int
    field: str
    message: str
    params: Mapping[str, object] = dataclasses.field(
        default_factory=dict, compare=False, hash=False
    )

    @property
    def text(self) -> str:
        """The English message with ``params`` interpolated."""
        return self.message % self.params if self.params else self.message


@dataclass(frozen=True)
class RollRow:
    """One valid unit row. ``owner_names``/``owner_phones``/``owner_ids`` are ``None`` when the
    column or the cell is empty, else aligned with ``owner_keys`` (``None`` for an empty
    position). Phones are normalised: spaces and hyphens removed, a ``+86`` prefix dropped; ID
    numbers: spaces and hyphens removed, upper case."""

    line: int
    unit: str
    building: str
    area_centi: int
    owner_keys: tuple[str, ...]
    is_developer_held: bool
    kind: str = "flat"
    owner_names: tuple[str | None, ...] | None = None
    owner_phones: tuple[str | None, ...] | None = None
    owner_ids: tuple[str | None, ...] | None = None

    def __repr__(self) -> str:  # keep phone and ID numbers out of logs and tracebacks
        return f"RollRow(line={self.line}, unit={self.unit!r})"


def format_problem(p: RollProblem, text: str | None = None) -> str:
    """One line: ``roll.csv:5: area: '12.345' has more than two decimals``; ``text`` is the
    message shown (default: the English :attr:`RollProblem.text`; a caller passes it
    translated)."""
    where = f" {p.field}:" if p.field else ""
    return f"{p.file}:{p.line}:{where} {p.text if text is None else text}"


def normalise_phone(text: str) -> str | None:
    """Return the phone number without spaces, hyphens or ``+86``; ``None`` if it is not one."""
    compact = re.sub(r"[\s-]", "", text)
    if not _PHONE.fullmatch(compact):
        return None
    return compact.removeprefix("+86")


def parse_roll(data: bytes, filename: str) -> tuple[list[RollRow], list[RollProblem]]:
    """Parse and validate a roll file (CSV or XLSX, told apart by name or content).

    Guarantees: when the problem list is empty, every row obeys the format above and unit
    codes are unique; otherwise the problems name every bad row and field, sorted by line
    (a problem with the whole file, such as a missing column, is on line 1). Never raises
    for bad content.
    """
    try:
        table = read_table(data, filename)
    except UnreadableTable as exc:
        return [], [RollProblem(filename, exc.line, exc.field, exc.message, exc.params)]
    return validate_table(table, filename)


def validate_table(table: Table, filename: str) -> tuple[list[RollRow], list[RollProblem]]:
    """Validate an already read table; see ``parse_roll``."""
    header = [column_key(h) for h in table.header]
    problems = _check_header(header, filename)
    if problems:
        return [], problems
    if not table.records:
        return [], [RollProblem(filename, 1, "", N_("the roll has no unit rows"))]
    checker = _RowChecker(filename, header)
    rows = [row for line, cells in table.records if (row := checker.check(line, cells))]
    problems = sorted(checker.problems, key=lambda p: p.line)
    return (rows if not problems else []), problems


def _check_header(header: list[str], filename: str) -> list[RollProblem]:
    problems = []
    if not header:
        return [RollProblem(filename, 1, "", N_("the file is empty: expected a header line"))]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(
            RollProblem(
                filename,
                1,
                "",
                N_("missing columns: %(columns)s (the header must be %(header)s)")
                if len(missing) > 1
                else N_("missing column: %(columns)s (the header must be %(header)s)"),
                {"columns": ", ".join(missing), "header": ",".join(REQUIRED_COLUMNS)},
            )
        )
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [h or "(blank)" for h in header if h not in known]
    if unknown:
        problems.append(
            RollProblem(
                filename, 1, "", N_("unknown column: %(columns)s"), {"columns": ", ".join(unknown)}
            )
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        problems.append(
            RollProblem(
                filename,
                1,
                "",
                N_("repeated column: %(columns)s"),
                {"columns": ", ".join(repeated)},
            )
        )
    return problems


class _RowChecker:
    """Checks rows one by one, remembering what earlier rows said (units, owner names)."""

    def __init__(self, filename: str, header: list[str]) -> None:
        self.filename = filename
        self.header = header
        self.problems: list[RollProblem] = []
        self.unit_lines: dict[str, int] = {}
        self.names: dict[str, tuple[str, int]] = {}
        self.phones: dict[str, tuple[str, int]] = {}
        self.ids: dict[str, tuple[str, int]] = {}

    def problem(self, line: int, field: str, message: str, **params: object) -> None:
        """Record a problem: ``message`` is an ``N_`` msgid, ``params`` fill its placeholders."""
        self.problems.append(RollProblem(self.filename, line, field, message, params))

    def check(self, line: int, cells: list[str]) -> RollRow | None:
        before = len(self.problems)
        if len(cells) > len(self.header) and any(c.strip() for c in cells[len(self.header) :]):
            self.problem(
                line,
                "",
                N_("the row has %(cells)s cells but the header has %(columns)s"),
                cells=len(cells),
                columns=len(self.header),
            )
        value = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(self.header)}
        unit = self._unit(line, value["unit"])
        building = value["building"]
        if not building:
            self.problem(line, "building", N_("the building is missing"))
        self._too_long(line, "building", building, MAX_CODE_CHARS)
        area = self._area(line, value["area"])
        developer = self._developer(line, value["developer"])
        keys = self._owners(line, value["owners"], developer)
        kind = value.get("kind", "") or "flat"
        if kind not in UNIT_KINDS:
            self.problem(
                line,
                "kind",
                N_("'%(value)s' is not one of %(choices)s"),
                value=kind,
                choices=", ".join(UNIT_KINDS),
            )
        names = self._aligned(line, "owner_names", value.get("owner_names", ""), keys)
        phones = self._aligned(line, "owner_phones", value.get("owner_phones", ""), keys)
        if phones is not None:
            phones = self._phones(line, phones)
        ids = self._aligned(line, "owner_ids", value.get("owner_ids", ""), keys)
        if ids is not None:
            ids = self._id_numbers(line, ids)
        if keys is not None:
            self._consistent(line, "owner_names", "name", keys, names, self.names)
            self._consistent(line, "owner_phones", "phone", keys, phones, self.phones)
            self._consistent(line, "owner_ids", "id", keys, ids, self.ids)
        if len(self.problems) > before:
            return None
        assert unit is not None and area is not None and keys is not None
        return RollRow(line, unit, building, area, keys, bool(developer), kind, names, phones, ids)

    def _too_long(self, line: int, field: str, text: str, limit: int) -> bool:
        if len(text) <= limit:
            return False
        self.problem(line, field, N_("the value is longer than %(chars)s characters"), chars=limit)
        return True

    def _unit(self, line: int, unit: str) -> str | None:
        if not unit:
            self.problem(line, "unit", N_("the unit code is missing"))
            return None
        if self._too_long(line, "unit", unit, MAX_CODE_CHARS):
            return None
        first = self.unit_lines.setdefault(unit, line)
        if first != line:
            self.problem(
                line,
                "unit",
                N_("unit '%(unit)s' already appears on line %(first)s"),
                unit=unit,
                first=first,
            )
            return None
        return unit

    def _area(self, line: int, text: str) -> int | None:
        if not text:
            self.problem(line, "area", N_("the area is missing"))
            return None
        try:
            area = parse_hundredths(text)
        except BadQuantity as exc:
            self.problem(line, "area", _AREA_PROBLEMS[exc.message], value=text)
            return None
        if area <= 0:
            self.problem(line, "area", N_("'%(value)s' is not greater than zero"), value=text)
            return None
        if area > MAX_AREA_CENTI:
            self.problem(
                line,
                "area",
                N_("'%(value)s' is larger than %(max)s m²"),
                value=text,
                max=MAX_AREA_CENTI // 100,
            )
            return None
        return area

    def _developer(self, line: int, text: str) -> bool | None:
        if text in ("", "0"):
            return False
        if text == "1":
            return True
        self.problem(
            line, "developer", N_("'%(value)s' is not 1 (developer-held) or empty"), value=text
        )
        return None

    def _owners(self, line: int, text: str, developer: bool | None) -> tuple[str, ...] | None:
        if not text:
            if developer is False:
                self.problem(
                    line, "owners", N_("no owners are given and the unit is not developer-held")
                )
                return None
            return ()
        keys = [k.strip() for k in text.split(SEPARATOR)]
        if len(keys) > MAX_OWNERS:
            self.problem(
                line, "owners", N_("more than %(count)s owners for one unit"), count=MAX_OWNERS
            )
            return None
        if any(len(k) > MAX_OWNER_KEY_CHARS for k in keys):
            self.problem(
                line,
                "owners",
                N_("an owner key is longer than %(chars)s characters"),
                chars=MAX_OWNER_KEY_CHARS,
            )
            return None
        if any(not k for k in keys):
            self.problem(line, "owners", N_("'%(value)s' has an empty owner key"), value=text)
            return None
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            self.problem(
                line, "owners", N_("owner key '%(owner)s' is listed twice"), owner=repeated[0]
            )
            return None
        return tuple(keys)

    def _aligned(
        self, line: int, field: str, text: str, keys: tuple[str, ...] | None
    ) -> tuple[str | None, ...] | None:
        if not text:
            return None
        parts = tuple(p.strip() or None for p in text.split(SEPARATOR))
        if any(p is not None and len(p) > MAX_NAME_CHARS for p in parts):
            # Names and phones alike; a phone that long is refused as no phone anyway.
            self.problem(
                line,
                field,
                N_("a value is longer than %(chars)s characters"),
                chars=MAX_NAME_CHARS,
            )
            return None
        if keys is not None and len(parts) != len(keys):
            self.problem(
                line,
                field,
                N_(
                    "%(values)s value(s) for %(owners)s owner(s): give one value for each "
                    "owner, in the same order as the owners"
                ),
                values=len(parts),
                owners=len(keys),
            )
            return None
        return parts if keys is not None else None

    def _phones(self, line: int, phones: tuple[str | None, ...]) -> tuple[str | None, ...] | None:
        out: list[str | None] = []
        for position, phone in enumerate(phones, start=1):
            if phone is None:
                out.append(None)
                continue
            normal = normalise_phone(phone)
            if normal is None:
                # Do not echo the value: it is personal data and may be nearly right.
                self.problem(
                    line,
                    "owner_phones",
                    N_("value %(position)s does not look like a phone number"),
                    position=position,
                )
                return None
            out.append(normal)
        return tuple(out)

    def _id_numbers(
        self, line: int, numbers: tuple[str | None, ...]
    ) -> tuple[str | None, ...] | None:
        out: list[str | None] = []
        for position, number in enumerate(numbers, start=1):
            if number is None:
                out.append(None)
                continue
            normal = normalise_id_number(number)
            if normal is None:
                # Never echo the value: it is personal data and may be nearly right.
                self.problem(
                    line,
                    "owner_ids",
                    N_(
                        "value %(position)s is not a valid resident ID number: its check "
                        "character or birth date is wrong"
                    )
                    if id_number_problem(number) == BAD_CHECK
                    else N_(
                        "value %(position)s is not an ID number (an 18-character resident ID "
                        "number, or 5-20 letters and digits of another document)"
                    ),
                    position=position,
                )
                return None
            out.append(normal)
        return tuple(out)

    def _consistent(
        self,
        line: int,
        field: str,
        what: str,
        keys: tuple[str, ...],
        values: tuple[str | None, ...] | None,
        seen: dict[str, tuple[str, int]],
    ) -> None:
        if values is None:
            return
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue
            first = seen.setdefault(key, (value, line))
            if first[0] != value:
                self.problem(
                    line,
                    field,
                    N_("owner '%(owner)s' has a different name on line %(first)s")
                    if what == "name"
                    else N_("owner '%(owner)s' has a different phone on line %(first)s")
                    if what == "phone"
                    else N_("owner '%(owner)s' has a different ID number on line %(first)s"),
                    owner=key,
                    first=first[1],
                )
