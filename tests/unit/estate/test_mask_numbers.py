"""Masking phone and ID numbers in free text (objections) before others than the committee
read it: worked examples and a property that no mobile or resident ID survives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.personal import mask_numbers

MOBILE = re.compile(r"1[3-9][0-9]{9}")
RESIDENT_ID = re.compile(r"[0-9]{17}[0-9Xx]")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请联系13812345678谢谢", "请联系138****5678谢谢"),
        ("电话 138 1234 5678", "电话 138 **** 5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("+8613812345678", "+86138****5678"),
        ("0086-13812345678", "0086-138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("身份证110101199003071234", "身份证1101**********1234"),
        ("11010119900307123X", "1101**********123X"),
        ("旧证110101900307123号", "旧证110********7123号"),
        ("座机010-12345678", "座机010-****5678"),
        ("(0755) 8888 1234", "(0755) **** 1234"),
        ("0571 8765 4321", "0571 **** 4321"),
        ("+86 10 12345678", "+86 10 ****5678"),
        ("护照E12345678", "护照E*****678"),
        ("卡号6222020200112233445", "卡号6222***********3445"),
        # Ordinary text and numbers stay as written.
        (
            "2号楼1-101室,面积89.37平方米,预算1000000元",
            "2号楼1-101室,面积89.37平方米,预算1000000元",
        ),
        ("2024年3月5日 14:30", "2024年3月5日 14:30"),
        ("", ""),
    ],
)
def test_examples(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


_mobiles = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(0, 10**9 - 1),
)
_ids = st.builds(
    lambda body, last: f"{body:017d}{last}",
    st.integers(10**16, 10**17 - 1),
    st.sampled_from("0123456789Xx"),
)
_filler = st.text(
    alphabet=st.sampled_from(list("0123456789 -+()Xx.abc业主电话身份证:,\n１２３")), max_size=12
)


@given(st.lists(st.tuples(_filler, st.one_of(_mobiles, _ids)), min_size=1, max_size=4), _filler)
def test_no_mobile_or_resident_id_survives(parts: list[tuple[str, str]], tail: str) -> None:
    text = "".join(f + n for f, n in parts) + tail
    masked = mask_numbers(text)
    assert len(masked) == len(text)  # only digits are replaced
    assert not MOBILE.search(masked)
    assert not RESIDENT_ID.search(masked)
    assert not re.search(r"[0-9]{9}", masked)
    for _, number in parts:
        assert number not in masked
    assert mask_numbers(masked) == masked


@given(st.text(max_size=60))
def test_any_text_keeps_its_length_and_loses_long_digit_runs(text: str) -> None:
    masked = mask_numbers(text)
    assert len(masked) == len(text)
    assert not re.search(r"\d{9}", masked)
    assert all(a == b or b == "*" for a, b in zip(text, masked, strict=True))
