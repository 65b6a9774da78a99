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
from typing import Any, cast

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
from estate.id_numbers import ID_HASH_PURPOSE, id_last4
from estate.models import (
    BINDING_RESULTS,
    EMERGENCY_PUBLISH_DAYS_DEFAULT,
    FUND_HOLDERS,
    Building,
    Community,
    Owner,
    Unit,
    UnitOwner,
)
from estate.personal import DataCipher
from estate.quantities import format_hundredths
from estate.roll import CHINESE_TITLES, REQUIRED_COLUMNS, RollRow, parse_roll
from estate.tables import write_table
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


def id_last4_purpose(ref: str) -> str:
    """Associated data for the last four characters of an owner's ID number: binds the
    ciphertext to that owner."""
    return f"owner.id_last4:{ref}"


def id_number_hmac(cipher: DataCipher, number: str) -> str:
    """The keyed HMAC of a normalised ID number (owners and proxies alike): what is kept to
    recognise the number when it is typed again, never the number or a plain hash."""
    return cipher.keyed_hash(number, purpose=ID_HASH_PURPOSE)


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
        emergency_publish_days=EMERGENCY_PUBLISH_DAYS_DEFAULT,
    )
    exists = {"uq_community_code": lambda: CommunityExists(_EXISTS, code=code)}
    with uow.constraint_errors(exists):
        s.add(community)
    uow.log(code, "estate.community_created", {"code": code, "settings": _settings(community)})
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
    developer flag and owners (in the row's order); owners get the names, phones and ID
    numbers the rows give (phones encrypted; of an ID number only its last four characters,
    encrypted, and its keyed HMAC; a missing name, phone or ID number leaves the stored one as
    it is); units and
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
    writer = _RollWriter(s, community.id, cipher, building_names or {})
    writer.write(rows)
    refs = writer.owner_refs
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
                "owners": [refs[k] for k in row.owner_keys],
            }
            for row in sorted(rows, key=lambda r: r.unit)
        ],
    }
    index = uow.log(community_code, "estate.roll_imported", data, bulk=("units",)).index
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
    a full-width ``；`` so names stay aligned with owners. No text cell can be a spreadsheet
    formula (``estate.tables.write_table``); the area column is numeric.
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
    return write_table(export_header(fmt), out, fmt, numeric={EXPORT_HEADER.index("area")})


def export_header(fmt: str) -> list[str]:
    """The header of an exported roll: the column keys for CSV (the documented format), the
    Chinese titles for XLSX (what a committee reads in a spreadsheet); both import back."""
    return [CHINESE_TITLES[c] if fmt == "xlsx" else c for c in EXPORT_HEADER]


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
        "emergency_publish_days": c.emergency_publish_days,
    }


_BUILDING = cast(sa.Table, Building.__table__)
_UNIT = cast(sa.Table, Unit.__table__)
_OWNER = cast(sa.Table, Owner.__table__)
_LINK = cast(sa.Table, UnitOwner.__table__)


class _RollWriter:
    """Applies roll rows to one community inside the caller's transaction, counting changes.

    It reads the community's register once with Core selects into plain tuples, works out in
    Python what to create and what to change, and writes with one bulk statement per table and
    kind of change (an executemany), so a 50,000-unit roll is a few dozen statements instead
    of an ORM flush of 150,000 objects. Ids of new rows are read back by their natural keys
    (community and code or key); ``import_roll`` holds the community's row lock meanwhile.
    """

    def __init__(
        self, s: Session, community_id: int, cipher: DataCipher, names: Mapping[str, str]
    ) -> None:
        self.s = s
        self.community_id = community_id
        self.cipher = cipher
        self.building_names = names
        self.owner_refs: dict[str, str] = {}
        self.created = {"units": 0, "buildings": 0, "owners": 0}
        self.updated = {"units": 0, "owners": 0}

    def counts(self, total_units: int) -> dict[str, int]:
        """What the import changed, as ``ImportSummary`` and the log event report it."""
        return {
            "units_created": self.created["units"],
            "units_updated": self.updated["units"],
            "units_unchanged": total_units - self.created["units"] - self.updated["units"],
            "buildings_created": self.created["buildings"],
            "owners_created": self.created["owners"],
            "owners_updated": self.updated["owners"],
        }

    def write(self, rows: Sequence[RollRow]) -> None:
        """Write owners, buildings, units and their owner links as the rows say."""
        self.s.flush()  # anything the caller added through the ORM goes first
        owner_ids = self._owners(rows)
        building_ids = self._buildings(rows)
        self._units(rows, owner_ids, building_ids)
        # The writes bypassed the session: reload register rows it holds when next read.
        for obj in list(self.s.identity_map.values()):
            if isinstance(obj, Building | Unit | Owner | UnitOwner):
                self.s.expire(obj)

    def _owners(self, rows: Sequence[RollRow]) -> dict[str, int]:
        """Create the owners the rows name for the first time and update the names, phones and
        ID numbers the rows change (a missing one keeps the stored one); return key -> id."""
        s, o, cid = self.s, _OWNER, self.community_id
        stored = {
            key: (owner_id, ref, name, phone_enc, id_last4_enc, id_hmac)
            for key, owner_id, ref, name, phone_enc, id_last4_enc, id_hmac in s.execute(
                sa.select(
                    o.c.key, o.c.id, o.c.ref, o.c.name, o.c.phone_enc, o.c.id_last4_enc, o.c.id_hmac
                ).where(o.c.community_id == cid)
            )
        }
        # Per owner key, in order of first mention: the last name, phone and ID number the
        # rows give.
        names: dict[str, str | None] = {}
        phones: dict[str, str | None] = {}
        ids: dict[str, str | None] = {}
        for row in rows:
            for position, key in enumerate(row.owner_keys):
                for given, values in (
                    (row.owner_names, names),
                    (row.owner_phones, phones),
                    (row.owner_ids, ids),
                ):
                    value = given[position] if given else None
                    if value is not None or key not in values:
                        values[key] = value
        new: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for key, name in names.items():
            phone, number = phones[key], ids[key]
            old = stored.get(key)
            if old is None:
                ref = new_owner_ref()
                self.owner_refs[key] = ref
                phone_enc = None if phone is None else self._encrypt_phone(phone, ref)
                last4_enc, digest = self._id_forms(number, ref)
                new.append(
                    {
                        "community_id": cid,
                        "key": key,
                        "ref": ref,
                        "name": name or "",
                        "phone_enc": phone_enc,
                        "id_last4_enc": last4_enc,
                        "id_hmac": digest,
                    }
                )
                continue
            owner_id, ref, old_name, old_phone_enc, old_last4_enc, old_hmac = old
            self.owner_refs[key] = ref
            new_name = old_name if name is None else name
            new_phone_enc = old_phone_enc
            if phone is not None and self._stored_phone(ref, old_phone_enc) != phone:
                new_phone_enc = self._encrypt_phone(phone, ref)
            new_last4_enc, new_hmac = old_last4_enc, old_hmac
            if number is not None and id_number_hmac(self.cipher, number) != old_hmac:
                new_last4_enc, new_hmac = self._id_forms(number, ref)
            if new_name != old_name or new_phone_enc is not old_phone_enc or new_hmac != old_hmac:
                changes.append(
                    {
                        "owner_id": owner_id,
                        "new_name": new_name,
                        "new_phone": new_phone_enc,
                        "new_last4": new_last4_enc,
                        "new_hmac": new_hmac,
                    }
                )
        if new:
            s.execute(sa.insert(o), new)
        if changes:
            s.execute(
                sa.update(o)
                .where(o.c.id == sa.bindparam("owner_id"))
                .values(
                    name=sa.bindparam("new_name"),
                    phone_enc=sa.bindparam("new_phone"),
                    id_last4_enc=sa.bindparam("new_last4"),
                    id_hmac=sa.bindparam("new_hmac"),
                ),
                changes,
            )
        self.created["owners"] = len(new)
        self.updated["owners"] = len(changes)
        if not new:
            return {key: old[0] for key, old in stored.items()}
        return dict(s.execute(sa.select(o.c.key, o.c.id).where(o.c.community_id == cid)).all())

    def _encrypt_phone(self, phone: str, ref: str) -> bytes:
        return self.cipher.encrypt(phone, purpose=phone_purpose(ref))

    def _id_forms(self, number: str | None, ref: str) -> tuple[bytes | None, str | None]:
        """What is kept of an ID number: its last four characters encrypted, its keyed HMAC."""
        if number is None:
            return None, None
        last4 = self.cipher.encrypt(id_last4(number), purpose=id_last4_purpose(ref))
        return last4, id_number_hmac(self.cipher, number)

    def _stored_phone(self, ref: str, phone_enc: bytes | None) -> str | None:
        if phone_enc is None:
            return None
        return self.cipher.decrypt(phone_enc, purpose=phone_purpose(ref))

    def _buildings(self, rows: Sequence[RollRow]) -> dict[str, int]:
        """Create the buildings the rows name for the first time (named from
        ``building_names``, else by code) and rename those ``building_names`` renames; return
        code -> id."""
        s, b, cid = self.s, _BUILDING, self.community_id
        stored = {
            code: (building_id, name)
            for building_id, code, name in s.execute(
                sa.select(b.c.id, b.c.code, b.c.name).where(b.c.community_id == cid)
            )
        }
        new: list[dict[str, Any]] = []
        renames: list[dict[str, Any]] = []
        for code in dict.fromkeys(row.building for row in rows):
            name = self.building_names.get(code)
            old = stored.get(code)
            if old is None:
                new.append({"community_id": cid, "code": code, "name": name or code})
            elif name and old[1] != name:
                renames.append({"building_id": old[0], "new_name": name})
        if new:
            s.execute(sa.insert(b), new)
        if renames:
            s.execute(
                sa.update(b)
                .where(b.c.id == sa.bindparam("building_id"))
                .values(name=sa.bindparam("new_name")),
                renames,
            )
        self.created["buildings"] = len(new)
        if not new:
            return {code: old[0] for code, old in stored.items()}
        return dict(s.execute(sa.select(b.c.code, b.c.id).where(b.c.community_id == cid)).all())

    def _units(
        self, rows: Sequence[RollRow], owner_ids: Mapping[str, int], building_ids: Mapping[str, int]
    ) -> None:
        """Create new units with their owner links; for known units, update what changed and
        bring their links in line with the row's owners and their order."""
        s, u, link, cid = self.s, _UNIT, _LINK, self.community_id
        stored = {
            code: (unit_id, (building_id, area, kind, developer))
            for code, unit_id, building_id, area, kind, developer in s.execute(
                sa.select(
                    u.c.code,
                    u.c.id,
                    u.c.building_id,
                    u.c.area_centi,
                    u.c.kind,
                    u.c.is_developer_held,
                ).where(u.c.community_id == cid)
            )
        }
        # unit id -> owner id -> (link id, position), for the units already there
        links: dict[int, dict[int, tuple[int, int]]] = {}
        if stored:
            for link_id, unit_id, owner_id, position in s.execute(
                sa.select(link.c.id, link.c.unit_id, link.c.owner_id, link.c.position)
                .join(u, u.c.id == link.c.unit_id)
                .where(u.c.community_id == cid)
            ):
                links.setdefault(unit_id, {})[owner_id] = (link_id, position)
        new: list[dict[str, Any]] = []
        new_owners: list[list[int]] = []  # owner ids of each new unit, in roll order
        changes: list[dict[str, Any]] = []
        link_inserts: list[dict[str, Any]] = []
        link_moves: list[dict[str, Any]] = []
        link_deletes: list[dict[str, Any]] = []
        for row in rows:
            wanted = [owner_ids[k] for k in row.owner_keys]
            values = (building_ids[row.building], row.area_centi, row.kind, row.is_developer_held)
            old = stored.get(row.unit)
            if old is None:
                new.append(
                    {
                        "community_id": cid,
                        "building_id": values[0],
                        "code": row.unit,
                        "area_centi": row.area_centi,
                        "kind": row.kind,
                        "is_developer_held": row.is_developer_held,
                    }
                )
                new_owners.append(wanted)
                continue
            unit_id, old_values = old
            changed = old_values != values
            if changed:
                changes.append(
                    {
                        "unit_id": unit_id,
                        "new_building": values[0],
                        "new_area": row.area_centi,
                        "new_kind": row.kind,
                        "new_developer": row.is_developer_held,
                    }
                )
            current = links.get(unit_id, {})
            positions = {owner_id: position for position, owner_id in enumerate(wanted)}
            if {owner_id: p for owner_id, (_, p) in current.items()} != positions:
                changed = True
                for owner_id, (link_id, position) in current.items():
                    if owner_id not in positions:
                        link_deletes.append({"link_id": link_id})
                    elif positions[owner_id] != position:
                        link_moves.append({"link_id": link_id, "new_position": positions[owner_id]})
                link_inserts.extend(
                    {"unit_id": unit_id, "owner_id": owner_id, "position": position}
                    for owner_id, position in positions.items()
                    if owner_id not in current
                )
            if changed:
                self.updated["units"] += 1
        if changes:
            s.execute(
                sa.update(u)
                .where(u.c.id == sa.bindparam("unit_id"))
                .values(
                    building_id=sa.bindparam("new_building"),
                    area_centi=sa.bindparam("new_area"),
                    kind=sa.bindparam("new_kind"),
                    is_developer_held=sa.bindparam("new_developer"),
                ),
                changes,
            )
        if new:
            s.execute(sa.insert(u), new)
            unit_ids = dict(
                s.execute(sa.select(u.c.code, u.c.id).where(u.c.community_id == cid)).all()
            )
            for values_of_new, owners in zip(new, new_owners, strict=True):
                unit_id = unit_ids[values_of_new["code"]]
                link_inserts.extend(
                    {"unit_id": unit_id, "owner_id": owner_id, "position": position}
                    for position, owner_id in enumerate(owners)
                )
        self.created["units"] = len(new)
        if link_deletes:
            s.execute(sa.delete(link).where(link.c.id == sa.bindparam("link_id")), link_deletes)
        if link_moves:
            s.execute(
                sa.update(link)
                .where(link.c.id == sa.bindparam("link_id"))
                .values(position=sa.bindparam("new_position")),
                link_moves,
            )
        if link_inserts:
            s.execute(sa.insert(link), link_inserts)
