"""Pure rules of the money coming into the fund and public income (no database).

- **Top-up (续筹)**: a unit is due a top-up when its sub-account holds less than 30% of its
  first deposit (Decree 165 art. 17): ``balance * 10 < first * 3``, integers only.
- **Daily-balance product (积数)** of a sub-account over an interest period ``[start, end]``:
  the sum over each day of the period of what the sub-account held at that day's end. A
  posting dated before the period counts on every day of it; one dated inside it counts from
  its own day to the end, ``end - value_date + 1`` days; one after it not at all. So the
  product is two aggregates over postings, never a loop over days (:func:`daily_balance_product`
  is that rule on plain values; ``ledger.funds`` computes the same in SQL).
- **Interest allocation (增值收益)**: the interest is split across sub-accounts in proportion
  to their products by ``largest_remainder``, units in ordinal code order; a zero product
  gets nothing.
- **Bank statement files** ``date,unit,amount,reference``: :func:`parse_statement` checks every
  row and names every problem with its line and field.
- **Reconciliation**: :func:`match_statement` pairs statement lines with book items by bank
  reference and amount and lists what is left on either side.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from estate.errors import BadQuantity
from estate.quantities import parse_hundredths
from ledger.errors import N_, InvalidEntry
from ledger.funds_errors import StatementProblem
from ledger.posting_rules import EARLIEST_DATE, LATEST_DATE, MAX_AMOUNT_FEN
from ledger.rounding import largest_remainder

TOP_UP_NUMERATOR = 3
TOP_UP_DENOMINATOR = 10
"""The top-up threshold, 30% of the first deposit (Decree 165 art. 17), as a fraction."""

STATEMENT_COLUMNS = ("date", "unit", "amount", "reference")
"""Columns of a bank statement file (one deposit a row); extra columns are ignored."""
MAX_REFERENCE = 64
"""Longest bank reference (a bank's transaction serial number is 20 to 32 characters)."""
MAX_STATEMENT_ROWS = 100_000
"""Most rows in one statement file: twice the largest community's units."""
MAX_PERIOD_DAYS = 3_660
"""Longest interest period: ten years."""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/\-]{0,63}")


def is_top_up_due(natural_balance_fen: int, first_deposit_fen: int) -> bool:
    """Whether a unit holding ``natural_balance_fen`` is due a top-up against its first
    deposit ``first_deposit_fen``: true exactly when balance < 30% of first, decided by
    integer cross-multiplication (``balance * 10 < first * 3``). A unit with no first
    deposit (0) is never due."""
    if first_deposit_fen <= 0:
        return False
    return natural_balance_fen * TOP_UP_DENOMINATOR < first_deposit_fen * TOP_UP_NUMERATOR


def top_up_floor_fen(first_deposit_fen: int) -> int:
    """The least balance that is not due a top-up: ceil(30% of the first deposit)."""
    return -((-first_deposit_fen * TOP_UP_NUMERATOR) // TOP_UP_DENOMINATOR)


def check_period(start: date, end: date) -> None:
    """Refuse (``InvalidEntry``) an interest period that ends before it starts, lies outside
    the ledger's dates or is longer than :data:`MAX_PERIOD_DAYS`."""
    if not (EARLIEST_DATE <= start <= LATEST_DATE and EARLIEST_DATE <= end <= LATEST_DATE):
        raise InvalidEntry(N_("The interest period must lie between 1990-01-01 and 2100-12-31."))
    if end < start:
        raise InvalidEntry(N_("The interest period ends before it starts."))
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidEntry(
            N_("The interest period is longer than %(days)s days."), days=MAX_PERIOD_DAYS
        )


def daily_balance_product(postings: Iterable[tuple[date, int]], start: date, end: date) -> int:
    """The daily-balance product over ``[start, end]`` of an account whose postings are
    ``(value_date, natural amount)`` (natural: a credit to a sub-account is positive).

    Guarantees: equals the sum, over every day d of the period, of the sum of the amounts
    dated on or before d (the balance at d's end); computed as
    ``sum(amount * days) for postings before start + sum(amount * (end - value_date + 1))
    for postings inside``, postings after ``end`` ignored. Integers only."""
    days = (end - start).days + 1
    total = 0
    for value_date, amount in postings:
        if value_date < start:
            total += amount * days
        elif value_date <= end:
            total += amount * ((end - value_date).days + 1)
    return total


def allocate_interest(amount_fen: int, products: Mapping[str, int]) -> dict[str, int]:
    """Split ``amount_fen`` of interest across units by their daily-balance products (unit
    code -> product): units in ordinal code order, zero products left out (they get nothing
    and are not in the result), ``largest_remainder`` for the fen.

    Guarantees: the shares sum to ``amount_fen``; each is the floor or ceiling of its exact
    quota ``amount * product / total``; equal remainders go to the smaller unit code.
    ``InvalidEntry`` for a negative product; an amount with no positive product is refused by
    ``largest_remainder``."""
    for code, product in products.items():
        if product < 0:
            raise InvalidEntry(N_("Unit %(unit)s has a negative daily-balance product."), unit=code)
    weights = [(code, products[code]) for code in sorted(products) if products[code] > 0]
    return largest_remainder(amount_fen, weights)


@dataclass(frozen=True)
class StatementLine:
    """One good row of a bank statement file."""

    line: int
    value_date: date
    unit_code: str
    amount_fen: int
    reference: str


def _problem(line: int, field: str, message: str, **params: object) -> StatementProblem:
    return StatementProblem(line=line, field=field, message=message, params=params)


def is_bank_reference(text: str) -> bool:
    """Whether ``text`` is a well-formed bank reference: 1 to 64 letters, digits or
    ``. _ : / -``, starting with a letter or digit."""
    return _REFERENCE.fullmatch(text) is not None


def parse_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date within the ledger's range, or None."""
    text = text.strip()
    if not _DATE.fullmatch(text):
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if EARLIEST_DATE <= value <= LATEST_DATE else None


def parse_statement(
    header: Sequence[str],
    records: Sequence[tuple[int, Sequence[str]]],
    *,
    unit_codes: Collection[str] | None,
    known_references: Collection[str] = (),
    signed: bool = False,
) -> tuple[list[StatementLine], list[StatementProblem]]:
    """Check a statement table (header, numbered records as ``estate``'s table reader gives
    them) and return its lines and every problem, each naming its line and field.

    Guarantees: a line is returned only when every field is good; problems cover a missing
    column, an empty file, a date that is not ``YYYY-MM-DD`` in 1990-2100, an amount that is
    not yuan with at most two decimals (positive unless ``signed``, and within the ledger's
    bound), a unit not in ``unit_codes`` (not checked when None; then the unit may be empty),
    a reference that is empty, too long or not letters/digits and ``. _ : / -``, a reference
    repeated in the file, and a reference already in ``known_references``. Pure."""
    columns = [h.strip().lower() for h in header]
    problems: list[StatementProblem] = []
    missing = [c for c in STATEMENT_COLUMNS if c not in columns and (c != "unit" or unit_codes)]
    if missing:
        problems.append(
            _problem(
                1,
                missing[0],
                N_("The header has no %(column)s column (expected: date,unit,amount,reference)."),
                column=missing[0],
            )
        )
        return [], problems
    if not records:
        problems.append(_problem(1, "", N_("The file has no rows after the header.")))
        return [], problems
    if len(records) > MAX_STATEMENT_ROWS:
        problems.append(
            _problem(1, "", N_("The file has more than %(rows)s rows."), rows=MAX_STATEMENT_ROWS)
        )
        return [], problems
    at = {c: columns.index(c) for c in STATEMENT_COLUMNS if c in columns}
    seen: dict[str, int] = {}
    lines: list[StatementLine] = []
    for line, cells in records:

        def cell(name: str, cells: Sequence[str] = cells) -> str:
            i = at.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        before = len(problems)
        value_date = parse_date(cell("date"))
        if value_date is None:
            problems.append(
                _problem(
                    line,
                    "date",
                    N_("'%(value)s' is not a date YYYY-MM-DD between 1990 and 2100."),
                    value=cell("date")[:40],
                )
            )
        unit = cell("unit")
        if unit_codes is not None and unit not in unit_codes:
            problems.append(
                _problem(
                    line,
                    "unit",
                    N_("There is no unit '%(value)s' in this community.")
                    if unit
                    else N_("The unit is empty."),
                    value=unit[:64],
                )
            )
        amount: int | None = None
        text = cell("amount")
        try:
            amount = parse_hundredths(text, signed=signed, grouping=True)
        except BadQuantity:
            problems.append(
                _problem(
                    line,
                    "amount",
                    N_("'%(value)s' is not an amount in yuan with at most two decimals."),
                    value=text[:40],
                )
            )
        else:
            if amount == 0 or (not signed and amount < 0) or abs(amount) > MAX_AMOUNT_FEN:
                problems.append(
                    _problem(
                        line,
                        "amount",
                        N_("The amount %(value)s is zero or out of range."),
                        value=text[:40],
                    )
                )
        reference = cell("reference")
        if not _REFERENCE.fullmatch(reference):
            problems.append(
                _problem(
                    line,
                    "reference",
                    N_(
                        "The bank reference '%(value)s' must be 1 to %(max)s letters, digits "
                        "or . _ : / -"
                    ),
                    value=reference[:64],
                    max=MAX_REFERENCE,
                )
            )
        elif reference in seen:
            problems.append(
                _problem(
                    line,
                    "reference",
                    N_("The bank reference %(value)s is repeated from line %(first)s."),
                    value=reference,
                    first=seen[reference],
                )
            )
        elif reference in known_references:
            problems.append(
                _problem(
                    line,
                    "reference",
                    N_("A deposit with the bank reference %(value)s is already recorded."),
                    value=reference,
                )
            )
        else:
            seen[reference] = line
        if len(problems) == before:
            assert value_date is not None and amount is not None
            lines.append(StatementLine(line, value_date, unit, amount, reference))
    return lines, problems


@dataclass(frozen=True)
class BookItem:
    """One amount the books moved on the bank account: the entry, its date, the bank
    reference it carries ("" when none) and the amount (debit > 0)."""

    entry: int
    value_date: date
    reference: str
    amount_fen: int


@dataclass(frozen=True)
class Reconciliation:
    """Statement lines with no book item, and book items with no statement line."""

    unmatched_lines: tuple[StatementLine, ...]
    unmatched_items: tuple[BookItem, ...]


def match_statement(lines: Sequence[StatementLine], items: Sequence[BookItem]) -> Reconciliation:
    """Pair statement lines with book items of equal bank reference and amount (each used
    once) and return what is left on each side, in their given order. Pure."""
    available = Counter((item.reference, item.amount_fen) for item in items if item.reference)
    unmatched_lines = []
    for line in lines:
        key = (line.reference, line.amount_fen)
        if available[key] > 0:
            available[key] -= 1
        else:
            unmatched_lines.append(line)
    wanted = Counter((line.reference, line.amount_fen) for line in lines)
    unmatched_items = []
    for item in items:
        key = (item.reference, item.amount_fen)
        if item.reference and wanted[key] > 0:
            wanted[key] -= 1
        else:
            unmatched_items.append(item)
    return Reconciliation(tuple(unmatched_lines), tuple(unmatched_items))
