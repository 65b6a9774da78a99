"""The bounds every value from outside is checked against, and the plain checks that apply
them: integers of ASCII digits within a documented range, text without control characters or
lone surrogates within a column's length, JSON of bounded depth, dates within a sane window.

Pure functions (no Flask, no marshmallow), shared by the web forms (:mod:`fundvote.edge` and
the views), the JSON API's fields (:mod:`fundvote.api.fields`) and their tests. A check
returns ``None`` (or the parsed value) when the input is acceptable and never raises on any
``str``.

Documented ranges (docs/security.md, "No 5xx from any input"):

- ids (database keys in URLs and bodies): 1 .. 2^63 - 1 (PostgreSQL ``bigint``);
- money: 0 .. 10^15 fen (10 trillion yuan; below 2^53, so exact in every JSON reader);
- counts and page numbers: per field, at most 10^6;
- dates and times: years 2000 to 2100.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

MAX_ID = 2**63 - 1
MAX_FEN = 10**15
MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body (receipts nest 3 deep)."""
MAX_TEXT = 20_000
"""Default upper bound on one free-text value (a ballot's description is the longest)."""

_DIGITS = re.compile(r"[0-9]{1,19}")
# C0 controls but TAB, LF and CR; DEL; C1 controls. Lone surrogates are checked separately.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def parse_int(text: str | None, *, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """``text`` as an int when it is 1 to 19 ASCII digits (no sign, no spaces, no Unicode
    digits such as ``²`` or ``١``) and within ``lo .. hi``; otherwise ``None``."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def int_in_range(value: Any, *, lo: int, hi: int) -> bool:
    """True when ``value`` is an ``int`` (not a ``bool``) within ``lo .. hi``."""
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def has_surrogate(text: str) -> bool:
    """True when ``text`` holds a lone UTF-16 surrogate (not encodable as UTF-8)."""
    return _SURROGATE.search(text) is not None


def text_problem(text: str, *, max_length: int = MAX_TEXT, multiline: bool = True) -> str | None:
    """Why ``text`` cannot be stored, as an English reason, or ``None`` when it can.

    Refused: lone surrogates, NUL and other control characters (TAB, LF and CR are allowed
    when ``multiline``), and more than ``max_length`` characters.
    """
    if has_surrogate(text):
        return "surrogate"
    if (_CONTROL if multiline else _LINE_CONTROL).search(text):
        return "control"
    if len(text) > max_length:
        return "length"
    return None


def json_depth_exceeds(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text ``data`` nests arrays and objects deeper than ``limit``.

    A linear scan that skips string contents; it does not parse, so it is safe to run before
    ``json.loads`` (whose recursion a deeply nested text would exhaust).
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    depth = 0
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    stack: list[tuple[tuple[str, ...], Any]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                yield (*where, str(key)), key
                stack.append(((*where, str(key)), child))
        elif isinstance(node, list):
            stack.extend(((*where, str(i)), child) for i, child in enumerate(node))
        else:
            yield where, node


def json_value_problem(value: Any) -> tuple[str, str] | None:
    """The first value in a parsed JSON document that no field may hold, as ``(dotted path,
    reason)``, or ``None``. Reasons: ``surrogate`` (a lone surrogate in a key or string),
    ``control`` (NUL and other C0/C1 controls but TAB, LF and CR), ``integer`` (beyond
    ±(2^63 - 1)), ``number`` (a float that is not finite)."""
    for path, leaf in _walk(value):
        where = ".".join(path)
        if isinstance(leaf, str):
            if has_surrogate(leaf):
                return where, "surrogate"
            if _CONTROL.search(leaf):
                return where, "control"
        elif isinstance(leaf, bool):
            continue
        elif isinstance(leaf, int):
            if not -MAX_ID <= leaf <= MAX_ID:
                return where, "integer"
        elif isinstance(leaf, float) and not math.isfinite(leaf):
            return where, "number"
    return None


def year_in_range(moment: datetime) -> bool:
    """True when ``moment`` falls in the years :data:`MIN_YEAR` to :data:`MAX_YEAR`."""
    return MIN_YEAR <= moment.year <= MAX_YEAR


def escape_controls(text: str) -> str:
    """``text`` with every control character (C0 including CR and LF, DEL, C1) and every lone
    surrogate written as a visible escape (``\\r``, ``\\n``, ``\\t``, ``\\x00``, ``\\ud800``),
    so that one log record stays one line and a terminal runs no escape sequence."""
    return _ESCAPABLE.sub(_escape_one, text)


_ESCAPABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
