"""Exact decimal quantities with two places (m² areas, yuan amounts) as integer hundredths.

Parsing never goes through float: the text is split at the point and the digits are read as
integers. Only plain decimal notation is accepted ("89.37", "90", "0.5"); signs, exponents,
thousands separators and more than two decimals are refused.
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

_DECIMAL = re.compile(r"(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]*))?|\.(?P<frac_only>[0-9]+)")


def parse_hundredths(text: str) -> int:
    """Parse a non-negative decimal with at most two decimals into integer hundredths.

    Guarantees: the result is exact (``"89.37" -> 8937``, ``"90" -> 9000``, ``"0.5" -> 50``);
    surrounding whitespace is ignored; anything else raises ``BadQuantity`` whose message
    quotes the text and says what is wrong.
    """
    s = text.strip()
    if not s:
        raise BadQuantity(EMPTY)
    m = _DECIMAL.fullmatch(s)
    if m is None:
        if s.startswith("-"):
            raise BadQuantity(NEGATIVE, value=s)
        raise BadQuantity(NOT_DECIMAL, value=s)
    whole = m.group("int") or "0"
    frac = m.group("frac") if m.group("int") is not None else m.group("frac_only")
    frac = frac or ""
    if len(frac) > 2:
        raise BadQuantity(TOO_PRECISE, value=s)
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def format_hundredths(value: int) -> str:
    """Render integer hundredths as a decimal with exactly two places (``8937 -> "89.37"``)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    return f"{sign}{whole}.{frac:02d}"
