"""Canonical JSON (RFC 8785, JCS) for everything that is hashed or signed.

All numbers in fundvote are integers (money in fen, areas in 0.01 m²), so floats are refused
outright rather than canonicalized: a float on an evidence path is always a bug.

Speed: log entries can be large (a 50,000-unit roll import lists every unit), so values made
only of ``dict``/``list``/``tuple``/``str``/``int``/``bool``/``None`` whose object keys are all
in the Basic Multilingual Plane are encoded by the standard library's C JSON encoder, which for
exactly those values writes the bytes RFC 8785 prescribes (see :func:`canonical_bytes`); every
other value goes through the ``rfc8785`` package. A property test checks the two agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

# RFC 8785 numbers are IEEE 754 doubles: only integers of magnitude < 2**53 survive exactly.
MAX_SAFE_INTEGER = 2**53 - 1
_BMP_MAX = "\uffff"

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
)


def canonical_bytes(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``obj``.

    ``obj`` may hold mappings with string keys, lists, tuples, strings, integers, booleans and
    None. Guarantees: equal values give equal bytes regardless of key order; a float anywhere
    raises ``TypeError`` naming its path (e.g. ``$.data.items[2].amount``); so does any other
    type; an integer outside ±(2**53 - 1) raises ``ValueError`` naming its path; a string that
    is not valid Unicode text (a lone surrogate) raises ``rfc8785.CanonicalizationError``.

    The bytes are always those of ``rfc8785.dumps``. For plain values (:func:`_plain`) they
    come from ``json`` with sorted keys, no whitespace and no ASCII escaping: RFC 8785 §3.2.2.2
    escapes exactly what that encoder escapes (``"``, ``\\``, ``\\b\\f\\n\\r\\t`` and the other
    controls as lowercase ``\\u00xx``), safe integers print as their decimal digits in both,
    and for keys without characters beyond U+FFFF code-point order is UTF-16 order (§3.2.3).
    """
    if _plain(obj):
        try:
            return _ENCODER.encode(obj).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 refuse it with its own error
    _check(obj, "$")
    return rfc8785.dumps(obj)


def parse_canonical(raw: bytes) -> tuple[Any, bool]:
    """The JSON value of ``raw`` and whether ``raw`` is exactly its canonical form (what the
    log, its documents and a bundle's manifest must be). Raises what parsing raises for text
    that is not JSON (``ValueError``, ``RecursionError``) and what :func:`canonical_bytes`
    raises for a value that has no canonical form (``TypeError``, ``ValueError``)."""
    value = json.loads(raw)
    return value, canonical_bytes(value) == raw


def sha256(data: bytes) -> bytes:
    """Return the 32-byte SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def _plain(value: Any) -> bool:
    """True when ``value`` is made of exact ``dict``/``list``/``tuple``/``str``/``int``/
    ``bool``/``None`` only, with safe integers and string keys within the BMP. Never raises;
    anything else (including every invalid value) is left to the checked, slower path."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) > _BMP_MAX):
                return False
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            if item_kind is int:
                if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
                return False
            if not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            if item_kind is int:
                if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    continue
                return False
            if not _plain(item):
                return False
        return True
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    return False


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError(f"integer at {path} is outside the JSON safe range ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise TypeError(f"float at {path}: evidence numbers must be integers")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key {key!r} at {path}")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    raise TypeError(f"{type(value).__name__} at {path} cannot be canonical JSON")
