"""Use cases of the property register. Each opens exactly one transaction.

``import_roll`` is all-or-nothing: buildings, units, owners, their links and the
``estate.roll_imported`` event in the community's Merkle log are written together or not at
all. Units and owners already in the community but absent from the file are left alone: a
roll file may cover part of a community (one building's sale batch, say), and removing a
unit is a deliberate act, not a side effect of a shorter file. The log event refers to owners
by their opaque ``ref`` only: no name, phone or ID number ever enters the log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from estate.errors import (
    BadCommunityCode,
    CommunityExists,
    CommunityNotFound,
    DuplicateUnit,
    RollRejected,
    UnitWithoutOwners,
)
from estate.models import BINDING_RESULTS, FUND_HOLDERS, Building, Community, Owner, Unit, UnitOwner
from estate.personal import DataCipher
from estate.quantities import format_hundredths
from estate.roll import REQUIRED_COLUMNS, RollRow, parse_roll
from estate.tables import write_table
from notary import envelope, store
from notary.clock import Clock
from notary.errors import N_
from notary.work import UnitOfWork

COMMUNITY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
EXPORT_HEADER: tuple[str, ...] = (*REQUIRED_COLUMNS, "owner_names", "kind")


@dataclass(frozen=True)
class CommunityInfo:
    """A community as the rest of the system sees it: identity and its voting settings."""

    id: int
    code: str
    name: str
    address: str = ""
    publicity_days: int = 7
    deemed_majority_enabled: bool = False
    binding_result: str = "plain"
    fund_holder: str = "authority"


def community_info(c: Community) -> CommunityInfo:
    """The plain value of a community row."""
    return CommunityInfo(
        id=c.id,
        code=c.code,
        name=c.name,
        address=c.address,
        publicity_days=c.publicity_days,
        deemed_majority_enabled=c.deemed_majority_enabled,
        binding_result=c.binding_result,
        fund_holder=c.fund_holder,
    )


def find_community(uow: UnitOfWork, code: str) -> CommunityInfo | None:
    """The community with ``code``, or None (reads only)."""
    row = uow.session.scalars(sa.select(Community).where(Community.code == code)).one_or_none()
    return None if row is None else community_info(row)


def buildings_of(uow: UnitOfWork, community_id: int) -> list[tuple[str, str]]:
    """The community's buildings as ``(code, name)``, by code (reads only)."""
    return [
        (code, name)
        for code, name in uow.session.execute(
            sa.select(Building.code, Building.name)
            .where(Building.community_id == community_id)
            .order_by(Building.code)
        )
    ]


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed. ``log_index`` is the position of its event in the log."""

    community_code: str
    source_name: str
    source_sha256: str | None
    units_created: int
    units_updated: int
    units_unchanged: int
    buildings_created: int
    owners_created: int
    owners_updated: int
    log_index: int


def phone_purpose(ref: str) -> str:
    """Associated data for an owner's phone: binds the ciphertext to that owner."""
    return f"owner.phone:{ref}"


def id_number_purpose(ref: str) -> str:
    """Associated data for an owner's ID number: binds the ciphertext to that owner."""
    return f"owner.id_number:{ref}"


def new_owner_ref() -> str:
    """A random opaque owner id (64 bits), the only way owners are named outside the register."""
    return "o_" + secrets.token_hex(8)


_EXISTS = N_("Community %(code)s already exists.")


def create_community(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    address: str = "",
    publicity_days: int = 7,
    deemed_majority_enabled: bool = False,
    binding_result: str = "plain",
    fund_holder: str = "authority",
) -> CommunityInfo:
    """Create a community and record ``estate.community_created`` in its log.

    Guarantees: the code is 1-64 letters, digits, ``_.-`` (it names the community's log) and
    unique (``CommunityExists`` otherwise, also under a race); settings are within their
    allowed values (``ValueError`` otherwise, a programming error).
    """
    code = code.strip()
    if not COMMUNITY_CODE.fullmatch(code):
        raise BadCommunityCode(
            N_(
                "A community code is 1-64 letters, digits, '_', '.' or '-', starting with a letter "
                "or digit."
            ),
            code=code,
        )
    if not name.strip():
        raise ValueError("a community needs a name")
    if binding_result not in BINDING_RESULTS or fund_holder not in FUND_HOLDERS:
        raise ValueError("binding_result or fund_holder is not an allowed value")
    if publicity_days < 0:
        raise ValueError("publicity_days must not be negative")
    s = uow.session
    if s.scalar(sa.select(Community.id).where(Community.code == code)) is not None:
        raise CommunityExists(_EXISTS, code=code)
    now = uow.clock.now()
    community = Community(
        code=code,
        name=name.strip(),
        address=address.strip(),
        created_at=now,
        publicity_days=publicity_days,
        deemed_majority_enabled=deemed_majority_enabled,
        binding_result=binding_result,
        fund_holder=fund_holder,
    )
    exists = {"uq_community_code": lambda: CommunityExists(_EXISTS, code=code)}
    with uow.constraint_errors(exists):
        s.add(community)
    _log_event(
        s,
        code,
        "estate.community_created",
        uow.clock,
        {"code": code, "settings": _settings(community)},
    )
    return community_info(community)


def import_roll(
    uow: UnitOfWork,
    *,
    community_code: str,
    rows: Sequence[RollRow],
    cipher: DataCipher,
    source_name: str,
    source_sha256: str | None = None,
    building_names: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Bring the register in line with validated roll rows, in one transaction.

    Guarantees: afterwards every unit in ``rows`` exists with the row's building, area, kind,
    developer flag and owners (in the row's order); owners get the names and phones the rows
    give (phones encrypted; a missing name or phone leaves the stored one as it is); units and
    owners not in ``rows`` are untouched; one ``estate.roll_imported`` event, naming owners by
    ref only, is appended to the community's log in the same transaction. ``building_names``
    (building code -> display name) names buildings; a building without one is named by its
    code when created and keeps its name otherwise. Importing the same
    rows twice changes nothing the second time (except appending a second event). Raises
    ``CommunityNotFound``, ``DuplicateUnit`` or ``UnitWithoutOwners`` before writing anything.
    """
    _check_rows(rows)
    s = uow.session
    community = _community(s, community_code, for_update=True)
    writer = _RollWriter(s, community, cipher, building_names or {})
    for row in rows:
        writer.owners_of(row)
    s.flush()  # owners need ids before units link to them
    for row in rows:
        writer.unit(row)
    s.flush()
    data: dict[str, Any] = {
        "source_sha256": source_sha256,
        "counts": writer.counts(len(rows)),
        "units": [
            {
                "unit": row.unit,
                "building": row.building,
                "area_centi": row.area_centi,
                "kind": row.kind,
                "developer": row.is_developer_held,
                "owners": [writer.owners[k].ref for k in row.owner_keys],
            }
            for row in sorted(rows, key=lambda r: r.unit)
        ],
    }
    index = _log_event(s, community_code, "estate.roll_imported", uow.clock, data)
    return ImportSummary(
        community_code=community_code,
        source_name=source_name,
        source_sha256=source_sha256,
        log_index=index,
        **writer.counts(len(rows)),
    )


def import_roll_file(
    uow: UnitOfWork,
    *,
    community_code: str,
    data: bytes | Path,
    filename: str | None = None,
    cipher: DataCipher,
    building_names: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Parse a roll file (CSV or XLSX) and import it.

    Guarantees: if any row is bad, raises ``RollRejected`` carrying every problem and writes
    nothing; otherwise behaves as ``import_roll`` with the file's SHA-256 in the log event.
    """
    if isinstance(data, Path):
        name = filename or data.name
        data = data.read_bytes()
    else:
        name = filename or "roll.csv"
    rows, problems = parse_roll(data, name)
    if problems:
        raise RollRejected(problems)
    return import_roll(
        uow,
        community_code=community_code,
        rows=rows,
        cipher=cipher,
        source_name=name,
        source_sha256=hashlib.sha256(data).hexdigest(),
        building_names=building_names,
    )


def export_roll(session: Session, community_code: str, fmt: str = "csv") -> bytes:
    """The community's register as a roll file (``csv`` or ``xlsx``) that imports back.

    Columns: unit, building, area, owners, developer, owner_names, kind; units in ordinal
    code order, owners in their roll order. The file is for the committee (names in clear, as
    they are in the register); it never contains phone or ID numbers, in clear or otherwise,
    so re-importing it leaves stored phones as they are. A ``;`` inside a name is written as
    a full-width ``；`` so names stay aligned with owners.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown roll format {fmt!r}")
    community = _community(s=session, code=community_code)
    units = session.scalars(
        sa.select(Unit)
        .where(Unit.community_id == community.id)
        .options(selectinload(Unit.owner_links))
    ).all()
    out = []
    for unit in sorted(units, key=lambda u: u.code):
        owners = [link.owner for link in unit.owner_links]
        names = [o.name.replace(";", "；") for o in owners]
        out.append(
            [
                unit.code,
                unit.building.code,
                format_hundredths(unit.area_centi),
                ";".join(o.key for o in owners),
                "1" if unit.is_developer_held else "",
                ";".join(names) if any(names) else "",
                unit.kind,
            ]
        )
    return write_table(EXPORT_HEADER, out, fmt)


def _check_rows(rows: Sequence[RollRow]) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.unit in seen:
            raise DuplicateUnit(N_("Unit %(unit)s appears twice in the roll."), unit=row.unit)
        seen.add(row.unit)
        if not row.owner_keys and not row.is_developer_held:
            raise UnitWithoutOwners(N_("Unit %(unit)s lists no owners."), unit=row.unit)


def _community(s: Session, code: str, *, for_update: bool = False) -> Community:
    query = sa.select(Community).where(Community.code == code)
    if for_update:
        query = query.with_for_update()  # imports into one community run one after another
    community = s.scalar(query)
    if community is None:
        raise CommunityNotFound(N_("There is no community %(code)s."), code=code)
    return community


def _settings(c: Community) -> dict[str, Any]:
    return {
        "publicity_days": c.publicity_days,
        "deemed_majority_enabled": c.deemed_majority_enabled,
        "binding_result": c.binding_result,
        "fund_holder": c.fund_holder,
    }


def _log_event(
    s: Session, community_code: str, event_type: str, clock: Clock, data: Mapping[str, Any]
) -> int:
    entry = envelope.make_entry(event_type, clock.now(), community_code, dict(data))
    return store.append(s, community_code, entry).index


class _RollWriter:
    """Applies roll rows to one community inside the caller's transaction, counting changes."""

    def __init__(
        self, s: Session, community: Community, cipher: DataCipher, names: Mapping[str, str]
    ) -> None:
        self.s = s
        self.building_names = names
        self.community = community
        self.cipher = cipher
        cid = community.id
        self.buildings = {
            b.code: b for b in s.scalars(sa.select(Building).where(Building.community_id == cid))
        }
        self.owners = {
            o.key: o for o in s.scalars(sa.select(Owner).where(Owner.community_id == cid))
        }
        self.units = {
            u.code: u
            for u in s.scalars(
                sa.select(Unit)
                .where(Unit.community_id == cid)
                .options(selectinload(Unit.owner_links))
            )
        }
        self.created = {"units": 0, "buildings": 0}
        self.created_owners: set[str] = set()
        self.updated_units: set[str] = set()
        self.updated_owners: set[str] = set()

    def counts(self, total_units: int) -> dict[str, int]:
        return {
            "units_created": self.created["units"],
            "units_updated": len(self.updated_units),
            "units_unchanged": total_units - self.created["units"] - len(self.updated_units),
            "buildings_created": self.created["buildings"],
            "owners_created": len(self.created_owners),
            "owners_updated": len(self.updated_owners),
        }

    def owners_of(self, row: RollRow) -> None:
        for position, key in enumerate(row.owner_keys):
            owner = self.owners.get(key)
            if owner is None:
                owner = Owner(community_id=self.community.id, key=key, ref=new_owner_ref(), name="")
                self.s.add(owner)
                self.owners[key] = owner
                self.created_owners.add(key)
            name = row.owner_names[position] if row.owner_names else None
            phone = row.owner_phones[position] if row.owner_phones else None
            changed = False
            if name is not None and owner.name != name:
                owner.name = name
                changed = True
            if phone is not None and self._phone(owner) != phone:
                owner.phone_enc = self.cipher.encrypt(phone, purpose=phone_purpose(owner.ref))
                changed = True
            if changed and key not in self.created_owners:
                self.updated_owners.add(key)

    def _phone(self, owner: Owner) -> str | None:
        if owner.phone_enc is None:
            return None
        return self.cipher.decrypt(owner.phone_enc, purpose=phone_purpose(owner.ref))

    def _building(self, code: str) -> Building:
        building = self.buildings.get(code)
        name = self.building_names.get(code)
        if building is None:
            building = Building(community_id=self.community.id, code=code, name=name or code)
            self.s.add(building)
            self.s.flush()
            self.buildings[code] = building
            self.created["buildings"] += 1
        elif name and building.name != name:
            building.name = name
        return building

    def unit(self, row: RollRow) -> None:
        building = self._building(row.building)
        unit = self.units.get(row.unit)
        if unit is None:
            unit = Unit(
                community_id=self.community.id,
                building=building,
                code=row.unit,
                area_centi=row.area_centi,
                kind=row.kind,
                is_developer_held=row.is_developer_held,
            )
            self.s.add(unit)
            self.units[row.unit] = unit
            self.created["units"] += 1
            for position, key in enumerate(row.owner_keys):
                unit.owner_links.append(UnitOwner(owner=self.owners[key], position=position))
            return
        before = (unit.building_id, unit.area_centi, unit.kind, unit.is_developer_held)
        unit.building = building
        unit.area_centi = row.area_centi
        unit.kind = row.kind
        unit.is_developer_held = row.is_developer_held
        changed = before != (building.id, row.area_centi, row.kind, row.is_developer_held)
        if self._relink(unit, row.owner_keys):
            changed = True
        if changed:
            self.updated_units.add(row.unit)

    def _relink(self, unit: Unit, keys: tuple[str, ...]) -> bool:
        wanted = {self.owners[k].id: position for position, k in enumerate(keys)}
        current = {link.owner_id: link.position for link in unit.owner_links}
        if wanted == current:
            return False
        for link in list(unit.owner_links):
            if link.owner_id not in wanted:
                unit.owner_links.remove(link)
            else:
                link.position = wanted[link.owner_id]
        for key in keys:
            owner = self.owners[key]
            if owner.id not in current:
                unit.owner_links.append(UnitOwner(owner=owner, position=wanted[owner.id]))
        return True
