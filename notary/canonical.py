"""Canonical JSON (RFC 8785, JCS) for everything that is hashed or signed.

All numbers in fundvote are integers (money in fen, areas in 0.01 m²), so floats are refused
outright rather than canonicalized: a float on an evidence path is always a bug.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785

# RFC 8785 numbers are IEEE 754 doubles: only integers of magnitude < 2**53 survive exactly.
MAX_SAFE_INTEGER = 2**53 - 1


def canonical_bytes(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``obj``.

    ``obj`` may hold mappings with string keys, lists, tuples, strings, integers, booleans and
    None. Guarantees: equal values give equal bytes regardless of key order; a float anywhere
    raises ``TypeError`` naming its path (e.g. ``$.data.items[2].amount``); so does any other
    type; an integer outside ±(2**53 - 1) raises ``ValueError`` naming its path.
    """
    _check(obj, "$")
    return rfc8785.dumps(obj)


def sha256(data: bytes) -> bytes:
    """Return the 32-byte SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


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
