"""ID numbers (证件号码) of owners and proxies: what is accepted, and the forms kept (pure).

Accepted, after removing spaces and hyphens and upper-casing (ASCII only):

- an **18-character PRC resident ID number** (居民身份证号码, GB 11643-1999): 17 digits and a
  check character (``0``-``9`` or ``X``), the first digit not 0, a real birth date in
  characters 7-14 and the ISO 7064 MOD 11-2 check character right. Residence permits of Hong
  Kong, Macao and Taiwan residents (港澳台居民居住证, numbers starting 81/82/83) have the same
  form and pass the same test;
- **another document's number** (passport, 港澳居民来往内地通行证, 台湾居民来往大陆通行证,
  foreign permanent residence ID): 5 to 20 letters and digits with at least one letter, kept
  as an opaque string (its kind is not recorded or checked).

Refused: anything else, in particular a number of digits only that is not a valid 18-character
resident ID (a typing mistake in one is far likelier than a document of digits only) and the
old 15-digit resident ID numbers, which were replaced in 2013.

Only two forms of an accepted number are ever kept (``estate.services``): its last four
characters, encrypted, and a keyed HMAC of the whole normalised number
(:meth:`estate.personal.DataCipher.keyed_hash`), so the committee can check a number typed
again without being able to read it back.
"""

from __future__ import annotations

import re
from datetime import date

RESIDENT_ID_CHARS = 18
MAX_ID_NUMBER_CHARS = 20
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_RESIDENT = re.compile(r"[0-9]{17}[0-9X]")
_OTHER = re.compile(r"[A-Z0-9]{5,20}")
_SEPARATORS = re.compile(r"[ \-]")

BAD_CHECK = "check"
"""Reason: it has the form of a resident ID number but its check character or date is wrong."""
BAD_FORM = "form"
"""Reason: it is neither a resident ID number nor another document's number."""

ID_HASH_PURPOSE = "id_number"
"""The purpose of the keyed hash of an ID number (the same for owners and proxies)."""


def id_number_problem(text: str) -> str | None:
    """Why ``text`` is not an acceptable ID number (:data:`BAD_CHECK` or :data:`BAD_FORM`),
    or None when it is one."""
    compact = _SEPARATORS.sub("", text).upper()
    if not compact.isascii() or not compact:
        return BAD_FORM
    if compact.isdigit() or _RESIDENT.fullmatch(compact):
        if len(compact) != RESIDENT_ID_CHARS or not _RESIDENT.fullmatch(compact):
            return BAD_FORM
        return None if is_resident_id(compact) else BAD_CHECK
    if _OTHER.fullmatch(compact) and any(ch.isalpha() for ch in compact):
        return None
    return BAD_FORM


def normalise_id_number(text: str) -> str | None:
    """The ID number without spaces or hyphens, upper-cased; None when it is not acceptable
    (see the module docstring)."""
    if id_number_problem(text) is not None:
        return None
    return _SEPARATORS.sub("", text).upper()


def is_resident_id(number: str) -> bool:
    """Whether ``number`` (upper case) is an 18-character resident ID number with a real
    birth date and the right MOD 11-2 check character."""
    if not _RESIDENT.fullmatch(number) or number[0] == "0":
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1850:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11] == number[17]


def id_last4(number: str) -> str:
    """The last four characters of a normalised ID number (what the identity check asks)."""
    return number[-4:]
