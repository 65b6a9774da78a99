"""Exact decimal quantities with two places (m² areas, yuan amounts) as integer hundredths.

This is the one place that turns integer hundredths (fen, 0.01 m², hundredths of a percent)
into text and back; pages, PDFs, exports, the JSON API and the CLI all call it.

Parsing never goes through float: the text is split at the point and the digits are read as
integers. Only plain ASCII decimal notation is accepted (``"89.37"``, ``"90"``, ``"0.5"``,
``"12."``, ``".5"``). Always refused: exponents, ``+``, more than two decimals, non-ASCII
digits, spaces inside the number, ``nan``/``inf``. A leading ``-`` is accepted only when the
caller passes ``signed=True``; thousands separators only when it passes ``grouping=True``,
and then strictly: ASCII commas between groups of exactly three digits (``"1,234,567.89"``),
never ``"1,23"``, ``"12,34,567"`` or ``",123"``.

Formatting is sign-aware on the absolute value (``-150 -> "-1.50"``, never ``"-2.50"``).
"""

from __future__ import annotations

import re

from estate.errors import BadQuantity
from notary.errors import N_

# The messages of BadQuantity (msgids; the roll check words them for an area).
EMPTY = N_("is empty")
NEGATIVE = N_("'%(value)s' is negative")
NOT_DECIMAL = N_("'%(value)s' is not a decimal number")
TOO_PRECISE = N_("'%(value)s' has more than two decimals")

_FRACTION = r"(?:\.(?P<frac>[0-9]*))?|\.(?P<frac_only>[0-9]+)"
_DECIMAL = re.compile(rf"(?P<int>[0-9]+){_FRACTION}")
_GROUPED = re.compile(rf"(?P<int>[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+){_FRACTION}")


def parse_hundredths(text: str, *, signed: bool = False, grouping: bool = False) -> int:
    """Parse a decimal with at most two decimals into integer hundredths.

    Guarantees: the result is exact (``"89.37" -> 8937``, ``"90" -> 9000``, ``"0.5" -> 50``,
    with ``signed=True`` ``"-1.50" -> -150``, with ``grouping=True`` ``"1,234.56" ->
    123456``); surrounding whitespace is ignored; everything the module docstring lists as
    refused raises ``BadQuantity`` whose message quotes the text and says what is wrong
    (``is empty``, ``is negative`` when a ``-`` is given without ``signed``, ``is not a
    decimal number``, ``has more than two decimals``). ``parse_hundredths(format_hundredths(n,
    grouping=g), signed=True, grouping=g) == n`` for every int ``n``.
    """
    s = text.strip()
    if not s:
        raise BadQuantity(EMPTY)
    negative = s.startswith("-")
    if negative and not signed:
        raise BadQuantity(NEGATIVE, value=s)
    m = (_GROUPED if grouping else _DECIMAL).fullmatch(s[1:] if negative else s)
    if m is None:
        raise BadQuantity(NOT_DECIMAL, value=s)
    whole = (m.group("int") or "0").replace(",", "")
    frac = m.group("frac") if m.group("int") is not None else m.group("frac_only")
    frac = frac or ""
    if len(frac) > 2:
        raise BadQuantity(TOO_PRECISE, value=s)
    magnitude = int(whole) * 100 + int(frac.ljust(2, "0"))
    return -magnitude if negative else magnitude


class Fen(int):
    """An amount of money in fen that reads as yuan in messages: ``str(Fen(123456))`` is
    ``"1,234.56"`` (:func:`format_hundredths` with grouping), so a message's ``%(amount)s
    yuan`` shows what a person expects; it equals, compares and serialises (JSON, ``repr``)
    as the plain integer, so code and tests that read the value see fen."""

    __slots__ = ()

    def __str__(self) -> str:
        return format_hundredths(int(self), grouping=True)

    def __format__(self, spec: str) -> str:
        # ``f"{amount}"`` reads as yuan like ``%s``; a numeric spec formats the fen.
        return str(self) if not spec else int.__format__(self, spec)


def format_hundredths(value: int, *, grouping: bool = False) -> str:
    """Render integer hundredths as a decimal with exactly two places.

    Guarantees: integer arithmetic only; the sign applies to the whole value (``8937 ->
    "89.37"``, ``5 -> "0.05"``, ``0 -> "0.00"``, ``-1 -> "-0.01"``, ``-150 -> "-1.50"``);
    no ``+`` and no ``-0.00``; ``grouping=True`` puts ASCII commas between thousands of the
    whole part (``123456789 -> "1,234,567.89"``), otherwise there is no separator
    (``"1234567.89"``, the form exports and the JSON API use).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"hundredths must be an int, not {type(value).__name__}")
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{frac:02d}"
