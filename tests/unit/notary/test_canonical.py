"""Canonical JSON: RFC 8785 output, and refusal of anything that is not integer JSON."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from notary.canonical import MAX_SAFE_INTEGER, canonical_bytes, sha256


def test_keys_are_sorted_and_whitespace_dropped() -> None:
    value = {"b": [1, True, None], "a": "x", "é": {"z": 0, "y": -5}}
    assert canonical_bytes(value) == '{"a":"x","b":[1,true,null],"é":{"y":-5,"z":0}}'.encode()


def test_rfc8785_sorts_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: "\u20ac" (€) sorts before "\U0001f600" by UTF-16, not by code point.
    assert canonical_bytes({"\U0001f600": 1, "\u20ac": 2}) == '{"€":2,"😀":1}'.encode()


def test_strings_escape_only_what_json_requires() -> None:
    assert canonical_bytes('a"\\\n\x01/中') == b'"a\\"\\\\\\n\\u0001/\xe4\xb8\xad"'


def test_tuples_are_arrays() -> None:
    assert canonical_bytes({"t": (1, 2)}) == b'{"t":[1,2]}'


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (1.5, "$"),
        ({"data": {"items": [{"amount": 1}, {"amount": 2.0}]}}, "$.data.items[1].amount"),
        ([0, [0.0]], "$[1][0]"),
    ],
)
def test_floats_are_refused_with_their_path(value: object, path: str) -> None:
    with pytest.raises(TypeError, match=rf"float at {re.escape(path)}:"):
        canonical_bytes(value)


def test_other_types_and_keys_are_refused() -> None:
    with pytest.raises(TypeError, match=r"Decimal at \$\.x"):
        canonical_bytes({"x": Decimal("1.00")})
    with pytest.raises(TypeError, match="non-string key"):
        canonical_bytes({1: "a"})
    with pytest.raises(TypeError, match="set"):
        canonical_bytes({"s": {1}})


def test_integers_outside_the_safe_range_are_refused() -> None:
    assert canonical_bytes(MAX_SAFE_INTEGER) == str(MAX_SAFE_INTEGER).encode()
    assert canonical_bytes(-MAX_SAFE_INTEGER) == str(-MAX_SAFE_INTEGER).encode()
    with pytest.raises(ValueError, match=r"\$\.fen"):
        canonical_bytes({"fen": MAX_SAFE_INTEGER + 1})


def test_sha256() -> None:
    assert sha256(b"").hex() == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_bytes_parse_back_to_the_same_value(value: object) -> None:
    encoded = canonical_bytes(value)
    assert json.loads(encoded) == value
    assert canonical_bytes(json.loads(encoded)) == encoded
    assert hashlib.sha256(encoded).digest() == sha256(encoded)


@given(st.dictionaries(st.text(), st.integers(-100, 100), min_size=2))
def test_key_order_does_not_matter(value: dict[str, int]) -> None:
    reversed_value = dict(reversed(list(value.items())))
    assert canonical_bytes(reversed_value) == canonical_bytes(value)


# The fast path (the standard library's encoder) must give byte for byte what the reference
# implementation gives, for everything we emit: any text (controls, quotes, backslashes,
# non-ASCII, characters beyond the BMP in strings and in keys), nesting, tuples, booleans
# next to integers, and the shape of a roll import entry.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
reference_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | any_text
    | st.sampled_from(["\x00", "\x1f", "\x7f", '"', "\\", "\u2028", "\ufeff", "€", "😀"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(
            any_text | st.sampled_from(["€", "😀", "a😀", "\ue000", ""]), inner, max_size=5
        )
    ),
    max_leaves=40,
)


@given(reference_values)
def test_canonical_bytes_are_the_reference_implementations(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "unit": any_text,
                "building": any_text,
                "area_centi": st.integers(1, 10**9),
                "kind": st.sampled_from(["flat", "shop", "parking"]),
                "developer": st.booleans(),
                "owners": st.lists(st.text("0123456789abcdef", min_size=16, max_size=16)),
            }
        ),
        max_size=30,
    )
)
def test_a_roll_import_entry_is_the_reference_bytes(units: list[dict[str, object]]) -> None:
    entry = {
        "v": 1,
        "type": "estate.roll_imported",
        "at": "2026-11-01T02:00:00.000000Z",
        "community": "江滨",
        "data": {"source_sha256": None, "counts": {"units_created": len(units)}, "units": units},
    }
    assert canonical_bytes(entry) == rfc8785.dumps(entry)


def test_what_the_fast_path_leaves_out_still_goes_to_the_reference() -> None:
    assert canonical_bytes({"😀": 1, "\ue000": 2}) == rfc8785.dumps({"😀": 1, "\ue000": 2})
    assert canonical_bytes([True, 1, False, 0]) == b"[true,1,false,0]"
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_bytes({"x": "\ud800"})  # a lone surrogate is not text
    with pytest.raises(ValueError, match=r"\$\.a\[1\]"):
        canonical_bytes({"a": [0, -MAX_SAFE_INTEGER - 1]})
