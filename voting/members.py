"""Voting members: grouping a scope's units by their holder (pure).

Civil Code art. 278 counts heads as well as area. The judicial interpretation on building
differentiated ownership (art. 9) says one exclusive unit counts as one person, but one buyer
who owns several units counts once, and all units the developer still holds count as one
person together. So:

- units whose sets of registered owner keys are exactly equal (order-insensitive, after
  trimming) form one member; ``{a}`` and ``{a, b}`` are two different members;
- every developer-held unit belongs to the single developer member, whatever owners it lists
  (the developer is the holder until delivery; owners named on such a unit are buyers who have
  not taken it over yet, and they do not vote for it);
- each member has head weight 1 and area weight = the sum of its units' areas (centi-m²);
  the caller passes only the units in the ballot's scope, so that is the in-scope area.

Member keys are stable and readable: ``owners:<keys sorted in ordinal order, joined by ;>``
or ``developer``. Members come out ordered by their first (smallest) unit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from estate.errors import DuplicateUnit, NonPositiveArea
from estate.roll import RollRow
from notary.errors import N_, DomainError

DEVELOPER_KEY = "developer"
OWNERS_PREFIX = "owners:"
KEY_SEPARATOR = ";"


class UnitWithoutHolder(DomainError):
    """A unit that is not developer-held lists no owners, so it belongs to no member."""

    code = "unit-without-holder"


class BadOwnerKey(DomainError):
    """An owner key is empty or contains the separator, so member keys could collide."""

    code = "bad-owner-key"


@dataclass(frozen=True)
class UnitHolding:
    """What grouping needs to know about one unit."""

    code: str
    area_centi: int
    owner_keys: Sequence[str]
    is_developer_held: bool = False


@dataclass(frozen=True)
class Member:
    """One voting member: a stable key, its unit codes (ordinal order) and its weights."""

    key: str
    unit_codes: tuple[str, ...]
    area_centi: int
    owner_keys: tuple[str, ...]
    heads: int = 1

    @property
    def is_developer(self) -> bool:
        return self.key == DEVELOPER_KEY


def owner_set_key(owner_keys: Iterable[str]) -> str:
    """The member key of an owner set: trimmed keys, deduplicated, ordinal-sorted, ``;``-joined.

    Raises ``BadOwnerKey`` for an empty key or one containing ``;`` and ``UnitWithoutHolder``
    for an empty set.
    """
    keys = sorted({_clean(k) for k in owner_keys})
    if not keys:
        raise UnitWithoutHolder(N_("A unit that is not developer-held must list its owners."))
    return OWNERS_PREFIX + KEY_SEPARATOR.join(keys)


def group_members(units: Iterable[UnitHolding]) -> list[Member]:
    """Group the units of a scope into voting members.

    Guarantees: every unit is in exactly one member; units share a member exactly when their
    trimmed owner sets are equal, or when both are developer-held; the areas of the members add
    up to the areas of the units; the result does not depend on the order of ``units`` and is
    ordered by each member's smallest unit code. Raises ``DuplicateUnit`` if a code repeats,
    ``NonPositiveArea`` for an area <= 0, ``UnitWithoutHolder`` for a unit with no owners that
    is not developer-held and ``BadOwnerKey`` for an empty key or one containing ``;``.
    """
    seen: set[str] = set()
    groups: dict[str, list[UnitHolding]] = {}
    owner_sets: dict[str, tuple[str, ...]] = {}
    for unit in units:
        if unit.code in seen:
            raise DuplicateUnit(N_("Unit %(unit)s appears twice."), unit=unit.code)
        seen.add(unit.code)
        if unit.area_centi <= 0:
            raise NonPositiveArea(
                N_("Unit %(unit)s has an area that is not positive."), unit=unit.code
            )
        if unit.is_developer_held:
            key = DEVELOPER_KEY
            owner_sets[key] = ()
        else:
            key = owner_set_key(unit.owner_keys)
            owner_sets[key] = tuple(key.removeprefix(OWNERS_PREFIX).split(KEY_SEPARATOR))
        groups.setdefault(key, []).append(unit)
    members = [
        Member(
            key=key,
            unit_codes=tuple(sorted(u.code for u in group)),
            area_centi=sum(u.area_centi for u in group),
            owner_keys=owner_sets[key],
        )
        for key, group in groups.items()
    ]
    members.sort(key=lambda m: m.unit_codes[0])
    return members


def _clean(key: str) -> str:
    k = key.strip()
    if not k or KEY_SEPARATOR in k:
        raise BadOwnerKey(
            N_("An owner key is empty or contains ';'."), key=k if KEY_SEPARATOR in k else ""
        )
    return k


def holdings_from_roll(rows: Iterable[RollRow]) -> list[UnitHolding]:
    """The holdings of parsed roll rows, for ``group_members``."""
    return [UnitHolding(r.unit, r.area_centi, r.owner_keys, r.is_developer_held) for r in rows]
