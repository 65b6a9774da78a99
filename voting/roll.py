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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from estate.models import Building, Unit, UnitOwner
from notary.canonical import canonical_bytes
from voting.errors import N_, InvalidBallot
from voting.members import UnitHolding, group_members
from voting.models import RollMember, RollUnit

MEMBER_KEY_HEX = 32


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
) -> list[Unit]:
    """The register's units in a scope (with their owners loaded), in ordinal code order."""
    query = (
        sa.select(Unit)
        .join(Building, Unit.building_id == Building.id)
        .where(Unit.community_id == community_id)
        .options(selectinload(Unit.owner_links).joinedload(UnitOwner.owner))
    )
    if scope_kind == "buildings":
        query = query.where(Building.code.in_(list(scope_codes)))
    elif scope_kind == "units":
        query = query.where(Unit.code.in_(list(scope_codes)))
    units = list(s.scalars(query).unique())
    units.sort(key=lambda u: u.code)
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
    :func:`roll_document` of the rows just written. Raises ``InvalidBallot`` when the scope
    holds no unit, and what ``group_members`` raises for a register it cannot group.
    Runs inside the caller's transaction.
    """
    units = scope_units(s, community_id, scope_kind, scope_codes)
    if not units:
        raise InvalidBallot(N_("The ballot's scope holds no units, so there is no one to vote."))
    by_code = {u.code: u for u in units}
    holdings = [
        UnitHolding(
            code=u.code,
            area_centi=u.area_centi,
            owner_keys=[link.owner.ref for link in u.owner_links],
            is_developer_held=u.is_developer_held,
        )
        for u in units
    ]
    members = group_members(holdings)
    # Bulk statements: a 50,000-unit community must freeze within one request.
    member_ids = s.scalars(
        sa.insert(RollMember).returning(RollMember.id, sort_by_parameter_order=True),
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
    ).all()
    s.execute(
        sa.insert(RollUnit),
        [
            {
                "ballot_id": ballot_id,
                "member_id": member_id,
                "unit_code": code,
                "building_code": by_code[code].building.code,
                "area_centi": by_code[code].area_centi,
            }
            for member_id, member in zip(member_ids, members, strict=True)
            for code in member.unit_codes
        ],
    )
    s.flush()
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
    members = s.scalars(
        sa.select(RollMember).where(RollMember.ballot_id == ballot_id).order_by(RollMember.position)
    ).all()
    units = s.scalars(sa.select(RollUnit).where(RollUnit.ballot_id == ballot_id)).all()
    units_of: dict[int, list[RollUnit]] = {}
    for u in units:
        units_of.setdefault(u.member_id, []).append(u)
    out = []
    for m in members:
        mine = sorted(units_of.get(m.id, []), key=lambda u: u.unit_code)
        out.append(
            {
                "key": m.member_key,
                "developer": m.is_developer,
                "owners": json.loads(m.owner_refs),
                "area_centi": m.area_centi,
                "units": [
                    {"unit": u.unit_code, "building": u.building_code, "area_centi": u.area_centi}
                    for u in mine
                ],
            }
        )
    return {
        "ballot": ballot_ref,
        "community": community_code,
        "scope": {"kind": scope_kind, "codes": list(scope_codes)},
        "heads": sum(m.heads for m in members),
        "area_centi": sum(m.area_centi for m in members),
        "members": out,
    }
