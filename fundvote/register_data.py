"""What the property-register pages and API show, per role: read-only views of the register.

Shared by ``fundvote.web.register`` (HTML) and ``fundvote.api.register`` (JSON). Every
function opens one read-only session and returns plain dataclasses, already masked for the
caller:

- names in clear only for roles that keep the roll (committee) or run the system (admin);
  everyone else sees ``张*明`` (DOMAIN.md §2);
- phone numbers masked for everyone (``138****1234``); ID numbers never leave the database;
- owner keys shown as they are, unless one looks like a phone or ID number (a committee may
  have keyed owners that way), which is then masked too;
- searching by owner name only for roles that see names in clear: otherwise a search box
  would tell an auditor whether a person they name owns a unit.

Areas stay integer 0.01 m² here; formatting (``89.37``) is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from estate.errors import UndecryptableData
from estate.models import Building, Community, Owner, Unit, UnitOwner
from estate.personal import DataCipher, mask_id_number, mask_name, mask_phone, redact
from estate.queries import Page, code_point_order, like_pattern, unit_codes_of_owners
from estate.services import EXPORT_HEADER, export_header, export_roll, phone_purpose
from estate.tables import read_table, write_table
from notary.work import UnitOfWork
from voting.members import Member, UnitHolding, group_members

CLEAR_NAME_ROLES = frozenset({"committee", "admin"})
"""Roles that see owners' names in clear (and may search by them)."""
IMPORT_ROLES = ("committee", "admin")
EXPORT_ROLES = ("committee", "admin", "auditor")
OWNER_LIST_ROLES = ("committee", "admin", "authority", "auditor")
PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
UNREADABLE = "?"
"""Shown instead of a masked phone whose ciphertext cannot be read (wrong data key)."""


def sees_names(role: str) -> bool:
    """True when ``role`` sees owners' names in clear."""
    return role in CLEAR_NAME_ROLES


@dataclass(frozen=True)
class BuildingRow:
    code: str
    name: str
    units: int
    developer_units: int
    area_centi: int


@dataclass(frozen=True)
class Overview:
    code: str
    name: str
    address: str
    buildings: int
    units: int
    developer_units: int
    area_centi: int
    owners: int
    members: int
    """Voting members (heads): distinct owner sets, all developer-held units as one."""
    building_rows: list[BuildingRow]


@dataclass(frozen=True)
class OwnerShown:
    key: str
    name: str
    kind: str
    phone: str | None


@dataclass(frozen=True)
class UnitRow:
    code: str
    building: str
    building_name: str
    area_centi: int
    kind: str
    is_developer_held: bool
    owners: list[OwnerShown]


@dataclass(frozen=True)
class UnitView:
    code: str
    building: str
    building_name: str
    area_centi: int
    kind: str
    is_developer_held: bool
    owners: list[OwnerShown]
    member_units: list[str]
    """Other units of the same voting member (same owner set; all developer-held units)."""
    member_area_centi: int
    """Area of the whole voting member, this unit included."""


@dataclass(frozen=True)
class OwnerRow:
    key: str
    name: str
    kind: str
    phone: str | None
    units: list[str]


class _Shower:
    """Turns owner rows into what the caller may see."""

    def __init__(self, clear_names: bool, cipher: DataCipher | None) -> None:
        self.clear_names = clear_names
        self.cipher = cipher

    def owner(self, o: Owner) -> OwnerShown:
        return OwnerShown(display_key(o.key), self.name(o.name), o.kind, self.phone(o))

    def name(self, name: str) -> str:
        return name if self.clear_names else mask_name(name)

    def phone(self, o: Owner) -> str | None:
        if self.cipher is None or o.phone_enc is None:
            return None
        try:
            return mask_phone(self.cipher.decrypt(o.phone_enc, purpose=phone_purpose(o.ref)))
        except UndecryptableData:
            return UNREADABLE


def display_key(key: str) -> str:
    """An owner key as shown: as it is, or masked when it looks like a phone or ID number."""
    return key if redact(key) == key else mask_id_number(key)


def clamp_page(page: int, page_size: int) -> tuple[int, int]:
    return max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)


def overview(uow: UnitOfWork, code: str) -> Overview | None:
    """Totals of community ``code`` and one row per building; None if there is no such code."""
    s = uow.session
    c = _community(s, code)
    if c is None:
        return None
    rows = s.execute(
        sa.select(
            Building.code,
            Building.name,
            sa.func.count(Unit.id),
            sa.func.coalesce(sa.func.sum(sa.case((Unit.is_developer_held, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(Unit.area_centi), 0),
        )
        .outerjoin(Unit, Unit.building_id == Building.id)
        .where(Building.community_id == c.id)
        .group_by(Building.id, Building.code, Building.name)
        .order_by(code_point_order(s, Building.code))
    ).all()
    buildings = [BuildingRow(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]
    owners = s.scalar(sa.select(sa.func.count(Owner.id)).where(Owner.community_id == c.id))
    return Overview(
        code=c.code,
        name=c.name,
        address=c.address,
        buildings=len(buildings),
        units=sum(b.units for b in buildings),
        developer_units=sum(b.developer_units for b in buildings),
        area_centi=sum(b.area_centi for b in buildings),
        owners=owners or 0,
        members=_member_count(s, c.id),
        building_rows=buildings,
    )


def building_choices(uow: UnitOfWork, code: str) -> list[tuple[str, str]]:
    """(code, name) of the community's buildings, for a filter."""
    s = uow.session
    c = _community(s, code)
    if c is None:
        return []
    rows = s.execute(
        sa.select(Building.code, Building.name)
        .where(Building.community_id == c.id)
        .order_by(code_point_order(s, Building.code))
    )
    return [(b, n) for b, n in rows]


def units_page(
    uow: UnitOfWork,
    code: str,
    *,
    clear_names: bool,
    search: str | None = None,
    building: str | None = None,
    developer_only: bool = False,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[UnitRow]:
    """One page of units in code order. ``search`` matches a substring of the unit code, the
    building code or name, and (for ``clear_names`` callers only) an owner's name;
    ``building`` is an exact building code."""
    page, page_size = clamp_page(page, page_size)
    s = uow.session
    c = _community(s, code)
    if c is None:
        return Page([], page, page_size, 0)
    query = sa.select(Unit).join(Unit.building).where(Unit.community_id == c.id)
    if building:
        query = query.where(Building.code == building)
    if developer_only:
        query = query.where(Unit.is_developer_held.is_(True))
    if search and search.strip():
        pattern = like_pattern(search)
        matches = [
            Unit.code.ilike(pattern, escape="\\"),
            Building.code.ilike(pattern, escape="\\"),
            Building.name.ilike(pattern, escape="\\"),
        ]
        if clear_names:
            named = (
                sa.select(UnitOwner.unit_id)
                .join(Owner, Owner.id == UnitOwner.owner_id)
                .where(Owner.community_id == c.id, Owner.name.ilike(pattern, escape="\\"))
            )
            matches.append(Unit.id.in_(named))
        query = query.where(sa.or_(*matches))
    total = s.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    units = s.scalars(
        query.options(selectinload(Unit.owner_links))
        .order_by(code_point_order(s, Unit.code))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    show = _Shower(clear_names, None)
    items = [
        UnitRow(
            code=u.code,
            building=u.building.code,
            building_name=u.building.name,
            area_centi=u.area_centi,
            kind=u.kind,
            is_developer_held=u.is_developer_held,
            owners=[show.owner(link.owner) for link in u.owner_links],
        )
        for u in units
    ]
    return Page(items, page, page_size, total)


def unit_view(
    uow: UnitOfWork, code: str, unit_code: str, *, clear_names: bool, cipher: DataCipher
) -> UnitView | None:
    """A unit with its owners (phones masked) and its voting member's other units; None if
    the community or the unit does not exist."""
    s = uow.session
    c = _community(s, code)
    if c is None:
        return None
    unit = s.scalar(
        sa.select(Unit)
        .where(Unit.community_id == c.id, Unit.code == unit_code)
        .options(selectinload(Unit.owner_links))
    )
    if unit is None:
        return None
    show = _Shower(clear_names, cipher)
    members = _member_units(s, c.id, unit)
    area = sum(a for _code, a in members) + unit.area_centi
    return UnitView(
        code=unit.code,
        building=unit.building.code,
        building_name=unit.building.name,
        area_centi=unit.area_centi,
        kind=unit.kind,
        is_developer_held=unit.is_developer_held,
        owners=[show.owner(link.owner) for link in unit.owner_links],
        member_units=[code for code, _a in members],
        member_area_centi=area,
    )


def owners_page(
    uow: UnitOfWork,
    code: str,
    *,
    clear_names: bool,
    cipher: DataCipher,
    search: str | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[OwnerRow]:
    """One page of owners in key order with their units. ``search`` matches a substring of
    the owner key, of a unit code they own, and (``clear_names`` only) of the name."""
    page, page_size = clamp_page(page, page_size)
    s = uow.session
    c = _community(s, code)
    if c is None:
        return Page([], page, page_size, 0)
    query = sa.select(Owner).where(Owner.community_id == c.id)
    if search and search.strip():
        pattern = like_pattern(search)
        by_unit = (
            sa.select(UnitOwner.owner_id)
            .join(Unit, Unit.id == UnitOwner.unit_id)
            .where(Unit.community_id == c.id, Unit.code.ilike(pattern, escape="\\"))
        )
        matches = [Owner.key.ilike(pattern, escape="\\"), Owner.id.in_(by_unit)]
        if clear_names:
            matches.append(Owner.name.ilike(pattern, escape="\\"))
        query = query.where(sa.or_(*matches))
    total = s.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    owners = s.scalars(
        query.order_by(code_point_order(s, Owner.key))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    units = unit_codes_of_owners(s, [o.id for o in owners])
    show = _Shower(clear_names, cipher)
    items = [
        OwnerRow(display_key(o.key), show.name(o.name), o.kind, show.phone(o), sorted(units[o.id]))
        for o in owners
    ]
    return Page(items, page, page_size, total)


def export(uow: UnitOfWork, code: str, fmt: str, *, clear_names: bool) -> bytes:
    """The roll file of ``estate.services.export_roll``; for callers who may not see names,
    the same file with every name masked (it still parses as a roll)."""
    s = uow.session
    data = export_roll(s, code, fmt if clear_names else "csv")
    if clear_names:
        return data
    table = read_table(data, "roll.csv")
    column = [h.strip().lower() for h in table.header].index("owner_names")
    rows: list[list[str]] = []
    for _line, cells in table.records:
        cells = list(cells) + [""] * (len(EXPORT_HEADER) - len(cells))
        if cells[column]:
            cells[column] = ";".join(mask_name(n) for n in cells[column].split(";"))
        rows.append(cells)
    return write_table(export_header(fmt), rows, fmt, numeric={EXPORT_HEADER.index("area")})


def _community(s: Session, code: str) -> Community | None:
    return s.scalar(sa.select(Community).where(Community.code == code))


def _owner_sets(s: Session, community_id: int) -> dict[int, tuple[frozenset[int], bool, str, int]]:
    """unit id -> (owner ids, developer-held, code, area) for every unit of the community."""
    units = {
        uid: (set[int](), dev, code, area)
        for uid, dev, code, area in s.execute(
            sa.select(Unit.id, Unit.is_developer_held, Unit.code, Unit.area_centi).where(
                Unit.community_id == community_id
            )
        )
    }
    for unit_id, owner_id in s.execute(
        sa.select(UnitOwner.unit_id, UnitOwner.owner_id)
        .join(Unit, Unit.id == UnitOwner.unit_id)
        .where(Unit.community_id == community_id)
    ):
        units[unit_id][0].add(owner_id)
    return {uid: (frozenset(o), dev, code, area) for uid, (o, dev, code, area) in units.items()}


def _members(s: Session, community_id: int) -> tuple[list[Member], dict[str, int]]:
    """The community's voting members under the one rule of ``voting.members``, and the area
    of every unit by code."""
    sets = _owner_sets(s, community_id).values()
    members = group_members(
        UnitHolding(code, area, tuple(str(o) for o in sorted(owners)), developer)
        for owners, developer, code, area in sets
    )
    return members, {code: area for _o, _d, code, area in sets}


def _member_count(s: Session, community_id: int) -> int:
    return len(_members(s, community_id)[0])


def _member_units(s: Session, community_id: int, unit: Unit) -> list[tuple[str, int]]:
    """(code, area) of the other units of ``unit``'s voting member, in code order."""
    members, areas = _members(s, community_id)
    mine = next(m for m in members if unit.code in m.unit_codes)
    return [(code, areas[code]) for code in mine.unit_codes if code != unit.code]
