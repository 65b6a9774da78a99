"""Synthetic roll files in the format of docs/roll-format.md, and the rows they hold.

Deterministic for a given size. Most units have one owner of their own; every 40th is
co-owned by a couple, every 25th belongs to the owner of the unit before it (a flat and a
parking space) and every 100th is still held by the developer, so members are a little fewer
than units, as in a real community.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

UNITS_PER_BUILDING = 500


@dataclass(frozen=True)
class RollRow:
    """One unit: code, building, area in 0.01 m², owner keys, developer-held."""

    unit: str
    building: str
    area_centi: int
    owners: tuple[str, ...]
    developer: bool


def roll_rows(units: int, seed: int = 11) -> list[RollRow]:
    """The ``units`` rows of the synthetic roll."""
    rng = random.Random(seed)
    rows: list[RollRow] = []
    for i in range(units):
        building = f"{i // UNITS_PER_BUILDING + 1:03d}"
        area = rng.randint(4500, 18000)
        developer = i % 100 == 99
        if developer:
            owners: tuple[str, ...] = ()
        elif i % 25 == 24 and rows and rows[-1].owners:
            owners = rows[-1].owners
        elif i % 40 == 39:
            owners = (f"O{i:06d}", f"O{i:06d}B")
        else:
            owners = (f"O{i:06d}",)
        code = f"{building}-{i % UNITS_PER_BUILDING + 1:04d}"
        rows.append(RollRow(code, building, area, owners, developer))
    return rows


def roll_csv(rows: list[RollRow]) -> bytes:
    """The rows as a roll CSV file (UTF-8, header first)."""
    lines = ["unit,building,area,owners,developer"]
    for r in rows:
        area = f"{r.area_centi // 100}.{r.area_centi % 100:02d}"
        lines.append(f"{r.unit},{r.building},{area},{';'.join(r.owners)},{int(r.developer)}")
    return ("\n".join(lines) + "\n").encode()


def member_groups(rows: list[RollRow]) -> dict[tuple[str, ...], list[RollRow]]:
    """Units grouped as voting members: equal owner sets together, developer units together."""
    groups: dict[tuple[str, ...], list[RollRow]] = {}
    for r in rows:
        key = ("<developer>",) if r.developer else tuple(sorted(r.owners))
        groups.setdefault(key, []).append(r)
    return groups
