"""Two-decimal quantities parsed and formatted exactly, without float, sign included."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.errors import BadQuantity
from estate.quantities import Fen, format_hundredths, parse_hundredths


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
        ("-0", "'-0' is negative"),
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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-1.50", -150),
        ("-0.01", -1),
        ("-.5", -50),
        ("-12.", -1200),
        ("-0", 0),
        (" -7.05 ", -705),
        ("89.37", 8937),
    ],
)
def test_parses_signed_when_allowed(text: str, value: int) -> None:
    assert parse_hundredths(text, signed=True) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--5", "'--5' is not a decimal number"),
        ("- 5", "'- 5' is not a decimal number"),
        ("-", "'-' is not a decimal number"),
        ("−5", "'−5' is not a decimal number"),  # U+2212 MINUS SIGN is not a hyphen-minus
        ("+5", "'+5' is not a decimal number"),
        ("5-", "'5-' is not a decimal number"),
        ("-1e3", "'-1e3' is not a decimal number"),
        ("-1.005", "'-1.005' has more than two decimals"),
        ("-1,000", "'-1,000' is not a decimal number"),
    ],
)
def test_signed_still_refuses(text: str, message: str) -> None:
    with pytest.raises(BadQuantity) as info:
        parse_hundredths(text, signed=True)
    assert info.value.text == message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.56", 123456),
        ("1,234,567.89", 123456789),
        ("999,999", 99999900),
        ("1234567.89", 123456789),  # grouping is allowed, not required
        ("12", 1200),
    ],
)
def test_parses_grouped_when_allowed(text: str, value: int) -> None:
    assert parse_hundredths(text, grouping=True) == value


@pytest.mark.parametrize(
    "text",
    ["1,23", "12,34,567", ",123", "1,234,", "1,,234", "1234,567", "1,234.5,6", "1 234", "1,2,3"],
)
def test_grouping_is_strict(text: str) -> None:
    with pytest.raises(BadQuantity) as info:
        parse_hundredths(text, grouping=True)
    assert info.value.text == f"'{text}' is not a decimal number"


def test_grouped_negative_needs_both_options() -> None:
    assert parse_hundredths("-1,234.56", signed=True, grouping=True) == -123456
    with pytest.raises(BadQuantity, match="is negative"):
        parse_hundredths("-1,234.56", grouping=True)


@given(st.integers(0, 10**15))
def test_round_trip(value: int) -> None:
    assert parse_hundredths(format_hundredths(value)) == value


@given(st.integers(-(10**20), 10**20), st.booleans())
def test_signed_round_trip(value: int, grouping: bool) -> None:
    text = format_hundredths(value, grouping=grouping)
    assert parse_hundredths(text, signed=True, grouping=grouping) == value


@given(st.integers(-(10**20), 10**20))
def test_format_is_sign_and_magnitude(value: int) -> None:
    text = format_hundredths(value)
    assert text.startswith("-") == (value < 0)
    whole, _, frac = text.lstrip("-").partition(".")
    assert int(whole) * 100 + int(frac) == abs(value) and len(frac) == 2
    assert format_hundredths(value, grouping=True).replace(",", "") == text


@pytest.mark.parametrize(
    ("value", "plain", "grouped"),
    [
        (8937, "89.37", "89.37"),
        (5, "0.05", "0.05"),
        (0, "0.00", "0.00"),
        (100, "1.00", "1.00"),
        (-1, "-0.01", "-0.01"),
        (-99, "-0.99", "-0.99"),
        (-100, "-1.00", "-1.00"),
        (-150, "-1.50", "-1.50"),
        (123456, "1234.56", "1,234.56"),
        (99999, "999.99", "999.99"),
        (100000, "1000.00", "1,000.00"),
        (123456789, "1234567.89", "1,234,567.89"),
        (-123456789, "-1234567.89", "-1,234,567.89"),
    ],
)
def test_format(value: int, plain: str, grouped: str) -> None:
    assert format_hundredths(value) == plain
    assert format_hundredths(value, grouping=True) == grouped


@pytest.mark.parametrize("value", [1.5, 150.0, True, "150", None])
def test_format_refuses_anything_but_int(value: object) -> None:
    with pytest.raises(TypeError):
        format_hundredths(value)  # type: ignore[arg-type]


@given(st.integers(-(10**15), 10**15))
def test_fen_reads_as_yuan_in_messages_and_stays_the_integer(value: int) -> None:
    fen = Fen(value)
    assert str(fen) == format_hundredths(value, grouping=True)
    yuan = format_hundredths(value, grouping=True)
    assert "%(amount)s yuan" % {"amount": fen} == yuan + " yuan"  # noqa: UP031 (as messages do)
    assert f"{fen}" == yuan and f"{fen:d}" == str(value)
    assert fen == value and repr(fen) == repr(value)
    assert json.dumps({"amount": fen}) == json.dumps({"amount": value})
    assert parse_hundredths(str(fen), signed=True, grouping=True) == value
