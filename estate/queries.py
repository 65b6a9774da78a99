"""Read-only queries for the committee's pages. They take an open session and write nothing.

Names are returned in clear (the committee keeps the register and searches it by name);
phone numbers only ever leave here masked (138****1234); ID numbers not at all.
Searches are case-insensitive SQL LIKE (ILIKE) with the user's ``%`` and ``_`` escaped;
pages are bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from estate.errors import CommunityNotFound, UnitNotFound
from estate.models import Building, Community, Owner, Unit, UnitOwner
from estate.personal import DataCipher, mask_phone
from estate.services import phone_purpose
from notary.errors import N_

MAX_PAGE_SIZE = 200
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class UnitListItem:
    code: str
    building: str
    area_centi: int
    kind: str
    is_developer_held: bool
    owner_names: list[str]


@dataclass(frozen=True)
class OwnerView:
    ref: str
    key: str
    kind: str
    name: str
    phone_masked: str | None


@dataclass(frozen=True)
class UnitDetail:
    code: str
    building_code: str
    building_name: str
    area_centi: int
    kind: str
    is_developer_held: bool
    owners: list[OwnerView]


@dataclass(frozen=True)
class OwnerListItem:
    ref: str
    key: str
    kind: str
    name: str
    unit_codes: list[str]


@dataclass(frozen=True)
class CommunityTotals:
    code: str
    name: str
    buildings: int
    units: int
    developer_units: int
    area_centi: int
    owners: int


def list_units(
    session: Session,
    community_code: str,
    *,
    search: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[UnitListItem]:
    """One page of the community's units in ordinal code order, optionally filtered.

    ``search`` matches a substring of the unit code, the building code or name, or an owner's
    name. ``page`` starts at 1; ``page_size`` is clamped to 1..200.
    """
    community = _community(session, community_code)
    page, page_size = _bounds(page, page_size)
    query = sa.select(Unit).join(Unit.building).where(Unit.community_id == community.id)
    if search and search.strip():
        pattern = like_pattern(search)
        named = (
            sa.select(UnitOwner.unit_id)
            .join(Owner, Owner.id == UnitOwner.owner_id)
            .where(Owner.community_id == community.id, Owner.name.ilike(pattern, escape="\\"))
        )
        query = query.where(
            sa.or_(
                Unit.code.ilike(pattern, escape="\\"),
                Building.code.ilike(pattern, escape="\\"),
                Building.name.ilike(pattern, escape="\\"),
                Unit.id.in_(named),
            )
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    units = session.scalars(
        query.options(selectinload(Unit.owner_links))
        .order_by(code_point_order(session, Unit.code))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    items = [
        UnitListItem(
            code=u.code,
            building=u.building.code,
            area_centi=u.area_centi,
            kind=u.kind,
            is_developer_held=u.is_developer_held,
            owner_names=[link.owner.name for link in u.owner_links],
        )
        for u in units
    ]
    return Page(items, page, page_size, total)


def unit_detail(
    session: Session, community_code: str, unit_code: str, *, cipher: DataCipher
) -> UnitDetail:
    """A unit with its owners in roll order, phones masked; ``UnitNotFound`` if absent."""
    community = _community(session, community_code)
    unit = session.scalar(
        sa.select(Unit)
        .where(Unit.community_id == community.id, Unit.code == unit_code)
        .options(selectinload(Unit.owner_links))
    )
    if unit is None:
        raise UnitNotFound(
            N_("There is no unit %(unit)s in %(code)s."), unit=unit_code, code=community_code
        )
    owners = []
    for link in unit.owner_links:
        o = link.owner
        phone = (
            mask_phone(cipher.decrypt(o.phone_enc, purpose=phone_purpose(o.ref)))
            if o.phone_enc is not None
            else None
        )
        owners.append(OwnerView(o.ref, o.key, o.kind, o.name, phone))
    return UnitDetail(
        code=unit.code,
        building_code=unit.building.code,
        building_name=unit.building.name,
        area_centi=unit.area_centi,
        kind=unit.kind,
        is_developer_held=unit.is_developer_held,
        owners=owners,
    )


def list_owners(
    session: Session,
    community_code: str,
    *,
    search: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[OwnerListItem]:
    """One page of owners in ordinal key order, each with their unit codes (ordinal order).

    ``search`` matches a substring of the owner's name or key.
    """
    community = _community(session, community_code)
    page, page_size = _bounds(page, page_size)
    query = sa.select(Owner).where(Owner.community_id == community.id)
    if search and search.strip():
        pattern = like_pattern(search)
        query = query.where(
            sa.or_(Owner.name.ilike(pattern, escape="\\"), Owner.key.ilike(pattern, escape="\\"))
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    owners = session.scalars(
        query.order_by(code_point_order(session, Owner.key))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    units = unit_codes_of_owners(session, [o.id for o in owners])
    items = [OwnerListItem(o.ref, o.key, o.kind, o.name, sorted(units[o.id])) for o in owners]
    return Page(items, page, page_size, total)


def community_totals(session: Session, community_code: str) -> CommunityTotals:
    """Counts of buildings, units (and developer-held units), owners, and the total area."""
    c = _community(session, community_code)
    units, developer_units, area = session.execute(
        sa.select(
            sa.func.count(Unit.id),
            sa.func.coalesce(sa.func.sum(sa.case((Unit.is_developer_held, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(Unit.area_centi), 0),
        ).where(Unit.community_id == c.id)
    ).one()
    buildings = session.scalar(
        sa.select(sa.func.count(Building.id)).where(Building.community_id == c.id)
    )
    owners = session.scalar(sa.select(sa.func.count(Owner.id)).where(Owner.community_id == c.id))
    return CommunityTotals(
        c.code, c.name, buildings or 0, units, int(developer_units), int(area), owners or 0
    )


def list_communities(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every community, in ordinal code order."""
    rows = session.execute(
        sa.select(Community.code, Community.name).order_by(
            code_point_order(session, Community.code)
        )
    )
    return [(code, name) for code, name in rows]


def unit_codes_of_owners(session: Session, owner_ids: Sequence[int]) -> dict[int, list[str]]:
    """The codes of the units each owner holds (every id in ``owner_ids`` a key; codes in no
    particular order)."""
    units: dict[int, list[str]] = {owner_id: [] for owner_id in owner_ids}
    if units:
        for owner_id, code in session.execute(
            sa.select(UnitOwner.owner_id, Unit.code)
            .join(Unit, Unit.id == UnitOwner.unit_id)
            .where(UnitOwner.owner_id.in_(list(units)))
        ):
            units[owner_id].append(code)
    return units


def _community(session: Session, code: str) -> Community:
    community = session.scalar(sa.select(Community).where(Community.code == code))
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=code)
    return community


def _bounds(page: int, page_size: int) -> tuple[int, int]:
    return max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)


def like_pattern(search: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``search`` (stripped) as a substring, with
    ``%``, ``_`` and the backslash taken literally."""
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def code_point_order(session: Session, column: Any) -> Any:
    """Order by code point: PostgreSQL's default collation is linguistic, SQLite's is binary."""
    if session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column
