"""The edge's parsing helpers (fundvote.inputs): property tests over any text."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fundvote.inputs import (
    MAX_ID,
    escape_controls,
    json_depth_exceeds,
    json_value_problem,
    parse_int,
    text_problem,
)


@given(st.text())
@example("²")
@example("١٢")
@example("9223372036854775808")
@example(" 1")
@example("+1")
@example("1_000")
def test_parse_int_accepts_only_ascii_digits_in_range(text: str) -> None:
    value = parse_int(text)
    is_ascii_number = text.isascii() and text.isdigit() and len(text) <= 19
    if value is None:
        assert not is_ascii_number or not 1 <= int(text) <= MAX_ID
    else:
        assert is_ascii_number and value == int(text) and 1 <= value <= MAX_ID


@given(st.integers(min_value=-(10**30), max_value=10**30), st.integers(0, 10**6))
def test_parse_int_round_trips_numbers_in_range(number: int, hi: int) -> None:
    value = parse_int(str(number), lo=0, hi=hi)
    assert value == (number if 0 <= number <= hi else None)


@given(st.text(), st.integers(0, 50))
def test_text_problem_refuses_exactly_what_cannot_be_stored(text: str, limit: int) -> None:
    problem = text_problem(text, max_length=limit)
    surrogates = any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    controls = any((ord(c) < 0x20 and c not in "\t\r\n") or 0x7F <= ord(c) <= 0x9F for c in text)
    if surrogates:
        assert problem == "surrogate"
    elif controls:
        assert problem == "control"
    elif len(text) > limit:
        assert problem == "length"
    else:
        assert problem is None
        text.encode("utf-8")  # PostgreSQL and SQLite take it


@settings(max_examples=60)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_json_depth_matches_the_parsed_depth(value: object) -> None:
    text = json.dumps(value)

    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    for limit in range(0, 6):
        assert json_depth_exceeds(text, limit) == (depth(value) > limit)


def test_json_depth_of_ten_thousand_levels_is_caught_without_recursion() -> None:
    assert json_depth_exceeds("[" * 10_000 + "]" * 10_000)
    assert not json_depth_exceeds('"' + "[" * 10_000 + '"')


@given(st.text())
def test_escaped_text_has_no_control_character_left(text: str) -> None:
    escaped = escape_controls(text)
    assert "\n" not in escaped and "\r" not in escaped and "\x00" not in escaped
    escaped.encode("utf-8")
    assert text_problem(escaped, max_length=len(escaped), multiline=False) is None


def test_json_value_problem_names_the_path() -> None:
    assert json_value_problem({"a": [1, {"b": "x\x00"}]}) == ("a.1.b", "control")
    assert json_value_problem({"a": 2**63}) == ("a", "integer")
    assert json_value_problem({"\ud800": 1}) == ("\ud800", "surrogate")
    assert json_value_problem({"a": [True, -(2**63) + 1, "ok\n"]}) is None
