"""Which database constraint a failed statement broke, by its name.

Uniqueness that matters (one vote per member, one live link per member) is a database
constraint; when it refuses a row, the use case must report the named state (``AlreadyVoted``),
never guess from a blanket ``except IntegrityError``. PostgreSQL names the constraint in the
error's diagnostics. SQLite names CHECK constraints but reports a UNIQUE violation by its columns
(``UNIQUE constraint failed: cast_ballot.ballot_id, cast_ballot.member_id``), so the name is
found in the metadata: the unique constraint or unique index of that table on exactly those
columns (all names follow ``notary.orm.NAMING_CONVENTION``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from sqlalchemy import Index, MetaData, PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from notary.errors import DomainError

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>[\w.]+(?:, [\w.]+)*)")
_SQLITE_INDEX = re.compile(r"UNIQUE constraint failed: index '(?P<name>\w+)'")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")
# The ledger's first migrations named CHECK constraints in full ("ck_posting_amount_not_zero")
# under a metadata whose convention adds the prefix again, so the databases hold
# "ck_posting_ck_posting_amount_not_zero"; the name the code knows is the inner one.
_DOUBLED = re.compile(r"(?P<prefix>(?:ck|uq|fk|pk|ix)_\w+?_)(?P=prefix)")


def _as_named(name: str) -> str:
    """``name`` with a doubled convention prefix taken off (see :data:`_DOUBLED`)."""
    match = _DOUBLED.match(name)
    return name[len(match.group("prefix")) :] if match else name


def broken_constraint(error: Exception, metadata: MetaData) -> str | None:
    """The name of the constraint ``error`` (SQLAlchemy's ``IntegrityError`` or the driver's
    own) reports, or None when it names none we know (a foreign key or NOT NULL failure on
    SQLite, which carry no name). A name stored with its convention prefix twice
    (``ck_posting_ck_posting_amount_not_zero``) is reported as the code knows it
    (``ck_posting_amount_not_zero``)."""
    orig = error.orig if isinstance(error, IntegrityError) else error
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return _as_named(str(name))
    text = str(orig)
    for pattern in (_SQLITE_INDEX, _SQLITE_CHECK):
        match = pattern.search(text)
        if match:
            return _as_named(match.group("name"))
    match = _SQLITE_UNIQUE.search(text)
    if match is None:
        return None
    qualified = match.group("cols").split(", ")
    tables = {c.split(".", 1)[0] for c in qualified}
    if len(tables) != 1:
        return None
    table = metadata.tables.get(tables.pop())
    if table is None:
        return None
    columns = {c.split(".", 1)[1] for c in qualified}
    candidates: list[UniqueConstraint | PrimaryKeyConstraint | Index] = [
        c for c in table.constraints if isinstance(c, UniqueConstraint | PrimaryKeyConstraint)
    ]
    candidates += [i for i in table.indexes if i.unique]
    for candidate in candidates:
        if {col.name for col in candidate.columns} == columns and candidate.name:
            return str(candidate.name)
    return None


def named_refusal(
    error: Exception, metadata: MetaData, errors: Mapping[str, Callable[[], DomainError]]
) -> DomainError | None:
    """The named error ``errors`` gives for the constraint ``error`` broke, or None when it
    broke one not named there (a fault, to propagate as it is)."""
    make = errors.get(broken_constraint(error, metadata) or "")
    return None if make is None else make()
