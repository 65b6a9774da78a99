"""The statements :func:`ledger.journal.post_entry` sends: built once, run with parameters.

Posting one entry reads and locks the accounts it names (:func:`lock_entry_accounts`), then
writes the entry, its postings and the accounts' running balances (:func:`write_entry`): on
PostgreSQL in one statement (data-modifying CTEs: all or nothing, one round trip), on SQLite
(one writer at a time, no data-modifying CTEs) one statement each. The checks and the log
append are ``post_entry``'s; a constraint a write breaks surfaces from :func:`write_entry`,
named by the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Community, Unit
from ledger.models import JournalEntry, LedgerAccount, Posting
from notary.orm import UTCDateTime

ENTRY_TABLE = cast(sa.Table, JournalEntry.__table__)
_ACCOUNT_T = cast(sa.Table, LedgerAccount.__table__)
_POSTING_T = cast(sa.Table, Posting.__table__)
_COMMUNITY_T = cast(sa.Table, Community.__table__)
_UNIT_T = cast(sa.Table, Unit.__table__)
_ENTRY, _ACCOUNT, _COMMUNITY, _UNIT = ENTRY_TABLE.c, _ACCOUNT_T.c, _COMMUNITY_T.c, _UNIT_T.c

NAMED_LIMIT = 500
"""Up to this many accounts are looked up by code; a wider entry reads the whole chart."""


@dataclass(frozen=True)
class EntryAccount:
    """An account an entry names, as locked: what the checks and the returned entry need."""

    id: int
    code: str
    is_bounded: bool
    normal_side: str
    balance_fen: int
    name_zh: str
    name_en: str
    unit_code: str | None


# The community's accounts with its id (found by its code), locked in id order (FOR UPDATE
# on PostgreSQL: concurrent posters cannot deadlock; SQLite has one writer anyway).
_CHART = (
    sa.select(
        _COMMUNITY.id.label("community_id"),
        _ACCOUNT.id,
        _ACCOUNT.code,
        _ACCOUNT.is_bounded,
        _ACCOUNT.normal_side,
        _ACCOUNT.balance_fen,
        _ACCOUNT.name_zh,
        _ACCOUNT.name_en,
        _UNIT.code.label("unit_code"),
    )
    .select_from(_COMMUNITY_T)
    .join(_ACCOUNT_T, _ACCOUNT.community_id == _COMMUNITY.id)
    .outerjoin(_UNIT_T, _UNIT.id == _ACCOUNT.unit_id)
    .where(_COMMUNITY.code == sa.bindparam("community_code"))
    .order_by(_ACCOUNT.id)
    .with_for_update(of=_ACCOUNT_T)
)
_NAMED = _CHART.where(_ACCOUNT.code.in_(sa.bindparam("codes", expanding=True)))
_COMMUNITY_ID = sa.select(_COMMUNITY.id).where(_COMMUNITY.code == sa.bindparam("community_code"))


def community_id_of(s: Session, community_code: str) -> int | None:
    """The id of the community with that code, None when there is none."""
    found: int | None = s.execute(_COMMUNITY_ID, {"community_code": community_code}).scalar()
    return found


def lock_entry_accounts(
    s: Session, community_code: str, codes: set[str]
) -> tuple[int | None, dict[str, EntryAccount]]:
    """The community's id (None when there is none) and those of its accounts named by
    ``codes`` that exist (by code), their rows locked until the commit, in one statement (a
    second finds the community when no account was found)."""
    if len(codes) <= NAMED_LIMIT:
        params = {"community_code": community_code, "codes": sorted(codes)}
        rows = s.execute(_NAMED, params).all()
    else:
        rows = s.execute(_CHART, {"community_code": community_code}).all()
    if not rows:
        return community_id_of(s, community_code), {}
    found = {row.code: EntryAccount(*row[1:]) for row in rows if row.code in codes}
    return rows[0].community_id, found


# PostgreSQL: the entry, its postings (positions 1..n in line order) and the running balances
# in one statement. The database still checks every constraint (a balance that would overdraw
# a bounded account, a second reversal of an entry) and names it in the error.
_PG_WRITE = sa.text(
    "WITH entry AS (INSERT INTO journal_entry (community_id, kind, value_date, memo, documents,"
    " posted_at, posted_by, idempotency_key, content_sha256, reverses_id, is_legacy,"
    " legacy_file_sha256) VALUES (:community_id, :kind, :value_date, :memo, :documents,"
    " :posted_at, :posted_by, :idempotency_key, :content_sha256, :reverses_id, :is_legacy,"
    " :legacy_file_sha256) RETURNING id),"
    " postings AS (INSERT INTO posting (entry_id, account_id, community_id, value_date,"
    " position, amount_fen) SELECT entry.id, p.account_id, CAST(:community_id AS bigint),"
    " CAST(:value_date AS date), p.position, p.amount_fen FROM entry, unnest("
    "CAST(:account_ids AS bigint[]), CAST(:amounts AS bigint[])) WITH ORDINALITY"
    " AS p(account_id, amount_fen, position)),"
    " balances AS (UPDATE ledger_account AS a SET balance_fen = a.balance_fen + d.delta"
    " FROM unnest(CAST(:changed_ids AS bigint[]), CAST(:deltas AS bigint[])) AS d(id, delta)"
    " WHERE a.id = d.id)"
    " SELECT id FROM entry"
).bindparams(sa.bindparam("posted_at", type_=UTCDateTime()))

# SQLite: the same rows, one statement each.
_INSERT_ENTRY = sa.insert(ENTRY_TABLE).returning(_ENTRY.id)
_INSERT_POSTINGS = sa.insert(_POSTING_T)
_ADD_TO_BALANCE = (
    sa.update(_ACCOUNT_T)
    .where(_ACCOUNT.id == sa.bindparam("account_id"))
    .values(balance_fen=_ACCOUNT.balance_fen + sa.bindparam("delta", type_=sa.BigInteger))
)


def write_entry(
    s: Session,
    header: Mapping[str, Any],
    postings: Sequence[tuple[int, int]],
    deltas: Mapping[int, int],
) -> int:
    """Insert the entry ``header`` (a ``journal_entry`` row's columns but ``id`` and
    ``log_index``) and its ``postings`` ((account id, amount_fen) in line order), add
    ``deltas`` (account id -> fen) to the running balances; return the entry's id."""
    if s.get_bind().dialect.name == "postgresql":
        params = {
            **header,
            "account_ids": [account_id for account_id, _ in postings],
            "amounts": [amount for _, amount in postings],
            "changed_ids": list(deltas),
            "deltas": list(deltas.values()),
        }
        entry_id: int = s.execute(_PG_WRITE, params).scalar_one()
        return entry_id
    entry_id = s.execute(_INSERT_ENTRY, dict(header)).scalar_one()
    s.execute(
        _INSERT_POSTINGS,
        [
            {
                "entry_id": entry_id,
                "account_id": account_id,
                "community_id": header["community_id"],
                "value_date": header["value_date"],
                "position": position,
                "amount_fen": amount,
            }
            for position, (account_id, amount) in enumerate(postings, start=1)
        ],
    )
    if deltas:
        s.execute(_ADD_TO_BALANCE, [{"account_id": i, "delta": d} for i, d in deltas.items()])
    return entry_id
