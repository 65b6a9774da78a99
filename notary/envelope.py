"""The one envelope every log entry wears, and the guard that keeps personal data out.

Entries are public evidence: owners appear in them by opaque id only, never by name, phone,
ID number or e-mail address. :func:`refuse_personal_data` enforces that on key names at any
depth; the log store applies it to every entry it appends.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from notary.canonical import canonical_bytes
from notary.errors import N_, DomainError

ENVELOPE_VERSION = 2
"""The version of the entries written now (``{"v": 2, ..., "salt", "data"}``)."""

ENVELOPE_VERSIONS = frozenset({1, 2})
"""Every envelope version a reader accepts: 1 (no salt, before issue 11) and 2."""

SALT_BYTES = 16
"""Random bytes of an entry's salt (written as 32 lowercase hex digits)."""

_SALT = re.compile(r"[0-9a-f]{32}")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Key names (normalized to snake_case) that name personal data.
PERSONAL_DATA_KEYS = frozenset(
    {
        "name", "names", "full_name", "real_name",
        "owner_name", "owner_names", "member_name", "member_names",
        "phone", "phones", "phone_number", "phone_numbers", "owner_phone", "owner_phones",
        "mobile", "mobiles", "telephone", "tel",
        "email", "emails", "e_mail", "email_address",
        "id_number", "id_numbers", "id_card", "id_card_number", "id_no", "passport",
        "wechat", "birthday", "date_of_birth",
    }
)  # fmt: skip

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class PersonalDataInEntry(DomainError):
    """A log entry carries a key that names personal data; owners go by opaque id only."""

    code = "personal-data-in-entry"


class NaiveTimestamp(DomainError):
    """An entry time has no timezone, so the instant it names is unknown."""

    code = "naive-timestamp"


def format_time(at: datetime) -> str:
    """Return ``at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; raise :class:`NaiveTimestamp`
    for a datetime without timezone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise NaiveTimestamp(N_("Entry times must carry a timezone."))
    return at.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """The aware UTC datetime of an entry time written by :func:`format_time`; ``ValueError``
    for any other text."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def make_entry(
    event_type: str,
    at: datetime,
    community: str,
    data: Mapping[str, Any],
    *,
    salt: str | None = None,
    _canonical: bool = True,
) -> dict[str, Any]:
    """Return the entry ``{"v": 2, "type", "at", "community", "salt", "data"}`` for an event.

    The salt is 16 fresh random bytes from :mod:`secrets` as 32 lowercase hex digits (or
    ``salt`` when given, e.g. to rebuild one entry), so a public leaf hash cannot confirm a
    guess of the entry's content. Guarantees the result canonicalizes (no floats, string
    keys, safe integers: else ``TypeError``/``ValueError`` naming the path), has its time in
    the fixed UTC format (:class:`NaiveTimestamp` otherwise) and holds no personal-data key
    (:class:`PersonalDataInEntry` otherwise).
    """
    if not event_type or not community:
        raise ValueError("An entry needs an event type and a community.")
    if salt is None:
        salt = new_salt()
    elif not _SALT.fullmatch(salt):
        raise ValueError("An entry's salt is 32 lowercase hex digits.")
    entry = {
        "v": ENVELOPE_VERSION,
        "type": event_type,
        "at": format_time(at),
        "community": community,
        "salt": salt,
        "data": dict(data),
    }
    refuse_personal_data(entry)
    if _canonical:
        canonical_bytes(entry)
    return entry


def new_salt() -> str:
    """A fresh entry salt: :data:`SALT_BYTES` random bytes from :mod:`secrets`, in hex."""
    return secrets.token_hex(SALT_BYTES)


def entry_body(
    event_type: str,
    at: datetime,
    community: str,
    data: Mapping[str, Any],
    *,
    salt: str | None = None,
) -> bytes:
    """The canonical bytes of :func:`make_entry`'s entry (the exact bytes a log leaf hashes),
    with the same guarantees, checked once."""
    return canonical_bytes(make_entry(event_type, at, community, data, salt=salt, _canonical=False))


def refuse_personal_data(value: Any, path: str = "$") -> None:
    """Raise :class:`PersonalDataInEntry` if any mapping key in ``value``, at any depth
    (through mappings, lists and tuples), names personal data. The error names the key's path,
    never its value."""
    if _holds_personal_data(value):
        _raise_with_path(value, path)


def _holds_personal_data(value: Any) -> bool:
    """Whether any key at any depth names personal data (no paths built: entries can list
    tens of thousands of items, and this runs on every append)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _is_personal_key(key):
                return True
            if isinstance(item, Mapping | list | tuple) and _holds_personal_data(item):
                return True
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping | list | tuple) and _holds_personal_data(item):
                return True
    return False


def _raise_with_path(value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}"
            if isinstance(key, str) and _is_personal_key(key):
                raise PersonalDataInEntry(
                    N_("The entry holds personal data at %(path)s; refer to owners by id."),
                    path=here,
                )
            _raise_with_path(item, here)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _raise_with_path(item, f"{path}[{i}]")


@lru_cache(maxsize=4096)
def _is_personal_key(key: str) -> bool:
    return _normalize(key) in PERSONAL_DATA_KEYS


def _normalize(key: str) -> str:
    return _CAMEL.sub("_", key).lower().replace("-", "_").strip()
