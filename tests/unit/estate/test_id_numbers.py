"""ID numbers: the resident ID check character and birth date, other documents as opaque
strings, and what is refused; the keyed hash kept instead of the number."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estate.id_numbers import (
    BAD_CHECK,
    BAD_FORM,
    id_last4,
    id_number_problem,
    is_resident_id,
    normalise_id_number,
)
from estate.personal import DataCipher

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002X",  # the GB 11643 worked example
        "11010519491231002x",  # lower-case x
        "110105 19491231 002X",  # spaces
        "110105-19491231-002X",  # hyphens
        with_check("81000019900101123"),  # a residence permit of a Hong Kong resident
        "E12345678",  # a passport
        "H12345678",  # a Mainland travel permit for Hong Kong residents
        "C1234567",
    ],
)
def test_accepted(text: str) -> None:
    assert not text[:1].isdigit() or is_resident_id(normalise_id_number(text) or "")
    assert id_number_problem(text) is None
    number = normalise_id_number(text)
    assert number is not None and number == number.upper() and " " not in number


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("110105194912310021", BAD_CHECK),  # wrong check character
        (with_check("11010519491331002")[:17] + "0", BAD_CHECK),  # month 13
        (with_check("01010519491231002"), BAD_CHECK),  # first digit 0
        ("110105491231002", BAD_FORM),  # the old 15-digit form
        ("1234567", BAD_FORM),  # digits only, not 18
        ("ABC", BAD_FORM),  # too short
        ("E1234567890123456789X", BAD_FORM),  # too long
        ("E１２３４５６７", BAD_FORM),  # full-width digits
        ("E123 456\x00", BAD_FORM),
        ("", BAD_FORM),
    ],
)
def test_refused(text: str, reason: str) -> None:
    assert id_number_problem(text) == reason
    assert normalise_id_number(text) is None


BIRTH_17 = r"[1-9][0-9]{5}(19[5-9][0-9]|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}"


@given(st.from_regex(BIRTH_17, fullmatch=True))
def test_every_right_check_character_passes_and_every_other_fails(first17: str) -> None:
    good = with_check(first17)
    assert normalise_id_number(good) == good
    for wrong in "0123456789X":
        if wrong != good[-1]:
            assert id_number_problem(first17 + wrong) == BAD_CHECK


def test_last4_and_keyed_hash() -> None:
    number = "11010519491231002X"
    assert id_last4(number) == "002X"
    cipher = DataCipher(b"k" * 32)
    digest = cipher.keyed_hash(number, purpose="id_number")
    assert digest == cipher.keyed_hash(number, purpose="id_number")
    assert digest != hashlib.sha256(number.encode()).hexdigest()  # never a plain hash
    assert digest != cipher.keyed_hash(number, purpose="other")
    assert digest != DataCipher(b"j" * 32).keyed_hash(number, purpose="id_number")
