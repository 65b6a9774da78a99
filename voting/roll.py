"""Freezing a ballot's roll when it opens, and the commitment to it.

The frozen roll is a snapshot of the voting members of the ballot's scope (DOMAIN.md §3),
taken from the property register at the moment the ballot opens and stored as ``RollMember``
and ``RollUnit`` rows; nothing reads the register for this ballot afterwards, so a later
change to the register cannot move a ballot's denominators.

Member keys are opaque and per ballot: ``"m"`` + the first 32 hex digits of
``SHA-256("<ballot ref>:<group key>")``, where the group key is ``voting.members``' key over
owner *refs* (``owners:o_1;o_2``) or ``developer``. No name, phone or ID number is in the
roll or its commitment.

The commitment is the SHA-256 (hex) of the canonical JSON (RFC 8785) of::

    {"ballot": ref, "community": code,
     "scope": {"kind": "community"|"buildings"|"units", "codes": [...]},
     "heads": int, "area_centi": int,
     "members": [{"key": str, "developer": bool, "owners": [owner ref, ...],
                  "area_centi": int,
                  "units": [{"unit": code, "building": code, "area_centi": int}, ...]}, ...]}

with members in roll order (by their smallest unit code) and units in ordinal code order.
:func:`roll_document` rebuilds the document from the stored rows, so anyone holding the
rows (or an audit bundle) can recompute the commitment that was logged at opening.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from estate.models import Building, Owner, Unit, UnitOwner
from notary.canonical import canonical_bytes
from voting.errors import N_, InvalidBallot
from voting.members import UnitHolding, group_members
from voting.models import RollMember, RollUnit
from voting.rows import ballot_by_ref, community_of

MEMBER_KEY_HEX = 32

_UNIT = cast(sa.Table, Unit.__table__)
_BUILDING = cast(sa.Table, Building.__table__)
_LINK = cast(sa.Table, UnitOwner.__table__)
_OWNER = cast(sa.Table, Owner.__table__)
_MEMBER = cast(sa.Table, RollMember.__table__)
_ROLL_UNIT = cast(sa.Table, RollUnit.__table__)


@dataclass(frozen=True)
class ScopeUnit:
    """One register unit in a ballot's scope, as the freeze needs it."""

    code: str
    building_code: str
    area_centi: int
    owner_refs: tuple[str, ...]  # in the register's roll order
    is_developer_held: bool


@dataclass(frozen=True)
class FrozenRoll:
    """What freezing produced: the totals, the commitment and the committed document."""

    heads: int
    area_centi: int
    commitment: str
    document: dict[str, Any]


def member_key(ballot_ref: str, group_key: str) -> str:
    """The opaque member key of a holder group on one ballot (see the module docstring)."""
    digest = hashlib.sha256(f"{ballot_ref}:{group_key}".encode()).hexdigest()
    return "m" + digest[:MEMBER_KEY_HEX]


def roll_commitment(document: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of a roll document."""
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def scope_units(
    s: Session, community_id: int, scope_kind: str, scope_codes: Sequence[str]
) -> list[ScopeUnit]:
    """The register's units in a scope with their building and owner refs, in ordinal code
    order (two Core selects: a 50,000-unit community must freeze within one request)."""
    u, b, link, o = _UNIT, _BUILDING, _LINK, _OWNER
    where = [u.c.community_id == community_id]
    if scope_kind == "buildings":
        where.append(b.c.code.in_(list(scope_codes)))
    elif scope_kind == "units":
        where.append(u.c.code.in_(list(scope_codes)))
    refs: dict[int, list[str]] = {}
    for unit_id, ref in s.execute(
        sa.select(link.c.unit_id, o.c.ref)
        .join(o, o.c.id == link.c.owner_id)
        .join(u, u.c.id == link.c.unit_id)
        .join(b, b.c.id == u.c.building_id)
        .where(*where)
        .order_by(link.c.unit_id, link.c.position)
    ):
        refs.setdefault(unit_id, []).append(ref)
    units = [
        ScopeUnit(code, building, area, tuple(refs.get(unit_id, ())), developer)
        for unit_id, code, building, area, developer in s.execute(
            sa.select(u.c.id, u.c.code, b.c.code, u.c.area_centi, u.c.is_developer_held)
            .join(b, b.c.id == u.c.building_id)
            .where(*where)
        )
    ]
    units.sort(key=lambda unit: unit.code)
    return units


def freeze_roll(
    s: Session,
    *,
    ballot_id: int,
    ballot_ref: str,
    community_id: int,
    community_code: str,
    scope_kind: str,
    scope_codes: Sequence[str],
) -> FrozenRoll:
    """Snapshot the voting members of the scope into ``RollMember``/``RollUnit`` rows.

    Guarantees: every in-scope unit is on exactly one member (``voting.members.group_members``
    over owner refs, the developer's units together); each member's area is the sum of its
    in-scope units; the returned commitment is :func:`roll_commitment` of
    :func:`roll_document` of the rows just written (read back from the database). Raises
    ``InvalidBallot`` when the scope holds no unit, and what ``group_members`` raises for a
    register it cannot group. Runs inside the caller's transaction.
    """
    units = scope_units(s, community_id, scope_kind, scope_codes)
    if not units:
        raise InvalidBallot(N_("The ballot's scope holds no units, so there is no one to vote."))
    by_code = {u.code: u for u in units}
    members = group_members(
        UnitHolding(u.code, u.area_centi, u.owner_refs, u.is_developer_held) for u in units
    )
    # Bulk statements (executemany) on the Core tables; the new members' ids are read back by
    # their positions, which are unique per ballot.
    rm, ru = _MEMBER, _ROLL_UNIT
    s.execute(
        sa.insert(rm),
        [
            {
                "ballot_id": ballot_id,
                "position": position,
                "member_key": member_key(ballot_ref, member.key),
                "is_developer": member.is_developer,
                "heads": 1,
                "area_centi": member.area_centi,
                "owner_refs": json.dumps(sorted(member.owner_keys)),
            }
            for position, member in enumerate(members, start=1)
        ],
    )
    member_id = dict(
        s.execute(sa.select(rm.c.position, rm.c.id).where(rm.c.ballot_id == ballot_id)).all()
    )
    s.execute(
        sa.insert(ru),
        [
            {
                "ballot_id": ballot_id,
                "member_id": member_id[position],
                "unit_code": code,
                "building_code": by_code[code].building_code,
                "area_centi": by_code[code].area_centi,
            }
            for position, member in enumerate(members, start=1)
            for code in member.unit_codes
        ],
    )
    document = roll_document(
        s,
        ballot_id=ballot_id,
        ballot_ref=ballot_ref,
        community_code=community_code,
        scope_kind=scope_kind,
        scope_codes=scope_codes,
    )
    return FrozenRoll(
        heads=document["heads"],
        area_centi=document["area_centi"],
        commitment=roll_commitment(document),
        document=document,
    )


def roll_document(
    s: Session,
    *,
    ballot_id: int,
    ballot_ref: str,
    community_code: str,
    scope_kind: str,
    scope_codes: Sequence[str],
) -> dict[str, Any]:
    """The committed document of a frozen roll, rebuilt from the stored rows."""
    rm, ru = _MEMBER, _ROLL_UNIT
    units_of: dict[int, list[tuple[str, str, int]]] = {}
    for member_id, code, building, area in s.execute(
        sa.select(ru.c.member_id, ru.c.unit_code, ru.c.building_code, ru.c.area_centi).where(
            ru.c.ballot_id == ballot_id
        )
    ):
        units_of.setdefault(member_id, []).append((code, building, area))
    out = []
    heads = area_total = 0
    for member_id, key, developer, refs, member_heads, area in s.execute(
        sa.select(
            rm.c.id,
            rm.c.member_key,
            rm.c.is_developer,
            rm.c.owner_refs,
            rm.c.heads,
            rm.c.area_centi,
        )
        .where(rm.c.ballot_id == ballot_id)
        .order_by(rm.c.position)
    ):
        mine = sorted(units_of.get(member_id, []))
        out.append(
            {
                "key": key,
                "developer": developer,
                "owners": json.loads(refs),
                "area_centi": area,
                "units": [
                    {"unit": code, "building": building, "area_centi": unit_area}
                    for code, building, unit_area in mine
                ],
            }
        )
        heads += member_heads
        area_total += area
    return {
        "ballot": ballot_ref,
        "community": community_code,
        "scope": {"kind": scope_kind, "codes": list(scope_codes)},
        "heads": heads,
        "area_centi": area_total,
        "members": out,
    }


def frozen_roll_document(s: Session, ballot_ref: str) -> dict[str, Any] | None:
    """The committed document of ballot ``ballot_ref``'s frozen roll (:func:`roll_document`
    over its stored rows and the scope fixed at opening), or None while the ballot has not
    opened (no roll was frozen). ``BallotNotFound`` for an unknown ref. Reads only."""
    ballot = ballot_by_ref(s, ballot_ref)
    if ballot.roll_commitment is None:
        return None
    return roll_document(
        s,
        ballot_id=ballot.id,
        ballot_ref=ballot.ref,
        community_code=community_of(s, ballot).code,
        scope_kind=ballot.scope_kind,
        scope_codes=list(json.loads(ballot.scope_codes)),
    )
