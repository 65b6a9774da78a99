"""Personal-data protection: encryption at rest, masking for display, redaction in logs.

Phones and ID numbers are encrypted in the database with AES-256-GCM under a key kept in a
file readable by the service user only (0600). Names stay in clear so the committee can search
them, but every output meant for others masks them (张*明). Nothing here is ever written to the
Merkle log: the log refers to owners by their opaque ``ref``.

Keyed hashes (:meth:`DataCipher.keyed_hash`) let the system recognise a value typed again
(an ID number, a one-time code) without keeping it: HMAC-SHA256 under a key derived from the
data key with HKDF-SHA256, so whoever reads the database without the key file cannot test
guesses against them (a plain hash of an 18-character ID number falls to a search of the
few billion valid numbers).

Ciphertext layout: ``version (1 byte) || nonce (12 bytes, random) || AES-GCM(ciphertext+tag)``,
with ``version || purpose`` as associated data, so a value encrypted for one purpose (for
example ``owner.phone:<ref>``) does not decrypt as another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import unicodedata
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from estate.errors import DataKeyInvalid, DataKeyMissing, UndecryptableData
from notary.errors import N_

HASH_KEY_INFO = b"fundvote keyed hash v1"
VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class DataCipher:
    """Encrypts and decrypts short personal values (phones, ID numbers)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise DataKeyInvalid(N_("The data key must be 32 bytes."))
        self._aead = AESGCM(key)
        self._hash_key = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=HASH_KEY_INFO
        ).derive(key)

    def __repr__(self) -> str:
        return "DataCipher(<key hidden>)"

    def encrypt(self, plaintext: str, *, purpose: str) -> bytes:
        """Encrypt ``plaintext`` bound to ``purpose``; a fresh random nonce every time."""
        return self.encrypt_bytes(plaintext.encode("utf-8"), purpose=purpose)

    def decrypt(self, token: bytes, *, purpose: str) -> str:
        """Decrypt what ``encrypt`` made for the same ``purpose``; raise ``UndecryptableData``
        if the version, key, purpose or bytes do not match."""
        return self.decrypt_bytes(token, purpose=purpose).decode("utf-8")

    def keyed_hash(self, value: str, *, purpose: str) -> str:
        """HMAC-SHA256 (hex) of ``value`` bound to ``purpose``, under a key derived from the
        data key (never the data key itself). The same value and purpose always give the
        same hash; without the data key nobody can compute or test one."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def encrypt_bytes(self, data: bytes, *, purpose: str) -> bytes:
        """Encrypt and authenticate ``data`` bound to ``purpose`` (same layout as
        :meth:`encrypt`); for documents kept at rest, such as printed slips being prepared."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, data, VERSION + purpose.encode())
        return VERSION + nonce + sealed

    def decrypt_bytes(self, token: bytes, *, purpose: str) -> bytes:
        """The bytes :meth:`encrypt_bytes` sealed for the same ``purpose``; raise
        ``UndecryptableData`` if the version, key, purpose or bytes do not match."""
        if len(token) < 1 + NONCE_BYTES + 16 or token[:1] != VERSION:
            raise UndecryptableData(N_("A stored personal value cannot be read (bad format)."))
        nonce, sealed = token[1 : 1 + NONCE_BYTES], token[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, VERSION + purpose.encode())
        except InvalidTag:
            raise UndecryptableData(
                N_("A stored personal value cannot be read (wrong key or purpose).")
            ) from None


def load_cipher(path: Path, *, create: bool) -> DataCipher:
    """Load the data key from ``path`` (base64 of 32 bytes); when missing and ``create``, make
    a new random key in a file created with mode 0600 (never overwriting an existing one).

    Raises ``DataKeyMissing`` when the file is absent and ``create`` is false, and
    ``DataKeyInvalid`` when the file does not hold a 32-byte key or others may read it.
    """
    if not path.exists():
        if not create:
            raise DataKeyMissing(N_("The data key file %(path)s does not exist."), path=str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_cipher(path, create=False)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(base64.b64encode(key).decode("ascii") + "\n")
        return DataCipher(key)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise DataKeyInvalid(
            N_("The data key file %(path)s may be read by others: chmod 600 it."), path=str(path)
        )
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DataKeyInvalid(
            N_("The data key file %(path)s is not base64."), path=str(path)
        ) from None
    if len(key) != KEY_BYTES:
        raise DataKeyInvalid(
            N_("The data key file %(path)s does not hold a 32-byte key."), path=str(path)
        )
    return DataCipher(key)


def mask_name(name: str) -> str:
    """Mask a name for others to see: ``张三明 -> 张*明``, ``张三 -> 张*``, ``欧阳娜娜 -> 欧**娜``.

    Keeps the first character and, for names of three or more characters, the last; every
    other character becomes ``*``. Surrounding spaces are dropped; an empty name stays empty.
    """
    n = name.strip()
    if len(n) <= 1:
        return n
    if len(n) == 2:
        return n[0] + "*"
    return n[0] + "*" * (len(n) - 2) + n[-1]


def mask_phone(phone: str) -> str:
    """Mask a phone number: ``13812341234 -> 138****1234``. Keeps the first 3 and last 4
    digits when there are at least 8, else shows only the last 2."""
    return _mask_keep(phone, 3, 4)


def mask_id_number(id_number: str) -> str:
    """Mask an ID number keeping the first 3 and last 4 characters:
    ``110101199003071234 -> 110***********1234``."""
    return _mask_keep(id_number, 3, 4)


def _mask_keep(value: str, head: int, tail: int) -> str:
    v = value.strip()
    if len(v) < head + tail + 1:
        return "*" * max(len(v) - 2, 0) + v[-2:] if len(v) > 2 else "*" * len(v)
    return v[:head] + "*" * (len(v) - head - tail) + v[-tail:]


# Mainland ID numbers (18 characters, or the old 15 digits), mobile numbers with an optional
# +86/86 prefix, and landlines written with an area code and a hyphen.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}-[0-9]{7,8}(?![0-9])")


def redact(text: str) -> str:
    """Replace ID-number- and phone-looking digit runs in ``text`` with placeholders."""
    text = _ID_NUMBER.sub("[id-number]", text)
    text = _MOBILE.sub("[phone]", text)
    return _LANDLINE.sub("[phone]", text)


class RedactPersonalData(logging.Filter):
    """A logging filter that rewrites phone and ID numbers in every record it sees.

    It formats the message with its arguments, redacts it, and stores the result as the
    record's message (with no arguments left); exception and stack text are redacted too.
    Install it on handlers so records from every logger pass through it. Never drops records.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --- masking phone and ID numbers in free text (objections, answers) -----------------------
#
# Matched on a copy of the text whose decimal digits (full-width ２, Arabic-Indic, ...) are
# rewritten as ASCII one for one, so positions stay the same and ``１３８…`` is caught too;
# only digits are starred, separators and prefixes stay as written.

_DIGIT_RUN_MIN = 9
"""A run of this many digits or more is masked whatever it is (passport, bank card, an ID
number glued to other digits): no phone or ID number can hide in one."""

_SEP = r"[ \-.\u2010-\u2015\u3000]"
_FREE_TEXT_NUMBERS = re.compile(
    "|".join(
        (
            # resident ID: 18 characters ending in a digit or X, or the old 15 digits
            r"(?P<id>(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9]))",
            # mobile: 1[3-9] and 9 more digits, in groups 3-4-4 with optional separators,
            # with an optional +86 / 0086 / 86 prefix
            rf"(?P<mobile>(?<![0-9])(?:(?:\+|00)?86{_SEP}?)?1[3-9][0-9](?:{_SEP}?[0-9]{{4}}){{2}}"
            r"(?![0-9]))",
            # landline: area code 0xx(x) (maybe in brackets, maybe after +86 without its 0),
            # then 7 or 8 digits, maybe split 3-4 or 4-4
            rf"(?P<landline>(?<![0-9])(?:(?:(?:\+|00)86{_SEP}?)\(?[1-9][0-9]{{1,2}}\)?|\(?0[1-9]"
            rf"[0-9]{{1,2}}\)?){_SEP}?[0-9]{{3,4}}{_SEP}?[0-9]{{4}}(?![0-9]))",
            # passport-like: one or two letters and 7 to 9 digits
            r"(?P<passport>(?<![0-9A-Za-z])[A-Za-z]{1,2}[0-9]{7,9}(?![0-9]))",
            # any other long run of digits
            rf"(?P<run>[0-9]{{{_DIGIT_RUN_MIN},}})",
        )
    )
)


def mask_numbers(text: str) -> str:
    """Mask every phone and ID number in free text for readers other than the committee.

    Guarantees: mainland mobiles (``1[3-9]`` + 9 digits, with or without ``+86``/``0086``
    and spaces, hyphens or dots between the 3-4-4 groups) keep their first 3 and last 4
    digits (``138****5678``); landlines with an area code keep the area code and the last 4
    (``010-****5678``); 18-character resident IDs keep the first and last 4
    (``1101**********1234``), old 15-digit IDs the first 3 and last 4; passport-like numbers
    (letters and 7-9 digits) keep the letters and the last 3; any other run of 9 or more
    digits keeps at most half its digits (at most the first and last 4). Full-width and other
    Unicode decimal digits count as digits. Only digits are replaced (by ``*``), so the text
    keeps its length and everything else in it; afterwards no run of 9 or more digits is
    left, and masking masked text changes nothing.
    """
    if not text:
        return text
    probe = "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else ("X" if ch in "Ｘｘ" else ch)
        for ch in text
    )
    out = list(text)
    for match in _FREE_TEXT_NUMBERS.finditer(probe):
        kind = match.lastgroup
        start, end = match.span()
        digits = [i for i in range(start, end) if probe[i].isdigit() or probe[i] in "Xx"]
        if kind == "mobile":
            keep_head, keep_tail = 3, 4
            digits = digits[-11:]  # the number itself, not the country code
        elif kind == "landline":
            keep_head, keep_tail = 0, 4
            local = _local_digits(probe, start, end)
            digits = [i for i in digits if i >= local]
        elif kind == "passport":
            keep_head, keep_tail = 0, 3
            digits = [i for i in digits if probe[i].isdigit()]
        elif kind == "id":
            keep_head, keep_tail = (4, 4) if len(digits) == 18 else (3, 4)
        else:  # any other long run: show at most half, at most 4 on each side
            visible = min(8, len(digits) // 2)
            keep_head, keep_tail = visible // 2, visible - visible // 2
        for i in digits[keep_head : len(digits) - keep_tail]:
            out[i] = "*"
    return "".join(out)


def _local_digits(probe: str, start: int, end: int) -> int:
    """Where the local number of a matched landline starts (after the area code)."""
    m = re.match(
        rf"(?:(?:(?:\+|00)86{_SEP}?)\(?[1-9][0-9]{{1,2}}\)?|\(?0[1-9][0-9]{{1,2}}\)?){_SEP}?",
        probe[start:end],
    )
    return start + (m.end() if m else 0)
