"""Two-decimal quantities parsed exactly, without float."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.errors import BadQuantity
from estate.quantities import format_hundredths, parse_hundredths


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("89.37", 8937),
        ("90", 9000),
        ("0.5", 50),
        (" 7.05 ", 705),
        ("0", 0),
        ("12.", 1200),
        (".5", 50),
        ("0012.30", 1230),
    ],
)
def test_parses(text: str, value: int) -> None:
    assert parse_hundredths(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e3", "'1e3' is not a decimal number"),
        ("-5", "'-5' is negative"),
        ("12.345", "'12.345' has more than two decimals"),
        ("", "is empty"),
        ("abc", "'abc' is not a decimal number"),
        ("1,000", "'1,000' is not a decimal number"),
        ("+5", "'+5' is not a decimal number"),
        ("nan", "'nan' is not a decimal number"),
        ("١٢", "'١٢' is not a decimal number"),  # non-ASCII digits are refused
    ],
)
def test_refuses(text: str, message: str) -> None:
    with pytest.raises(BadQuantity) as info:
        parse_hundredths(text)
    assert info.value.text == message


@given(st.integers(0, 10**15))
def test_round_trip(value: int) -> None:
    assert parse_hundredths(format_hundredths(value)) == value


def test_format() -> None:
    assert format_hundredths(8937) == "89.37"
    assert format_hundredths(5) == "0.05"
    assert format_hundredths(-150) == "-1.50"
