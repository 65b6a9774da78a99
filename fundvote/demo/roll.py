"""The demo community's roll: 江滨花园, generated deterministically in the roll CSV format.

Twelve residential buildings (45-180 m² flats), a row of shops and an underground car park;
about 3% of the units are still held by the developer, some flats are co-owned by couples,
some owners hold several units (a flat and a parking space, or two flats), and a few shops
belong to companies. The same seed always gives the same file, byte for byte.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from estate.api import csv_cells, format_hundredths

DEMO_CODE = "demo"
DEMO_NAME = "江滨花园"
DEMO_ADDRESS = "福建省泉州市台商投资区江滨路88号"

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余"
    "叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段"
    "雷黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国文辉鹏红梅志海燕俊峰春"
    "晓雪琳婷宇浩然欣怡子涵梓轩思远佳琪雨泽嘉明振宏淑珍秀英德胜"
)
_COMPANIES = (
    "泉州海丝商贸有限公司",
    "福建闽台餐饮管理有限公司",
    "泉州市惠民药房连锁有限公司",
    "台商区宏达便利店有限公司",
)

RESIDENTIAL_BUILDINGS = 12
SHOP_COUNT = 24
PARKING_COUNT = 60


@dataclass(frozen=True)
class _Unit:
    code: str
    building: str
    area_centi: int
    kind: str = "flat"  # estate's unit kinds: flat, shop, parking


def _flats(rng: random.Random) -> list[_Unit]:
    units: list[_Unit] = []
    for b in range(1, RESIDENTIAL_BUILDINGS + 1):
        floors = 18 if b <= 10 else 11
        # Each building has six room types; the area of a type is the same on every floor.
        types = sorted(rng.randint(4500, 18000) for _ in range(6))
        for floor in range(1, floors + 1):
            for room, base in enumerate(types, start=1):
                # Ground-floor flats are a little larger (garden rooms), as surveyed.
                area = base + (rng.randint(100, 900) if floor == 1 else 0)
                units.append(_Unit(f"{b:02d}-{floor:02d}{room:02d}", f"{b:02d}", area))
    return units


def _shops(rng: random.Random) -> list[_Unit]:
    return [
        _Unit(f"S-{i:02d}", "S", rng.randint(3000, 12000), "shop") for i in range(1, SHOP_COUNT + 1)
    ]


def _parking(rng: random.Random) -> list[_Unit]:
    return [
        _Unit(f"P-{i:03d}", "P", rng.choice((1250, 1320, 1380, 1500)), "parking")
        for i in range(1, PARKING_COUNT + 1)
    ]


def _person_name(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(_SURNAMES) + given


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "137", "150", "158", "186", "189", "135")) + "".join(
        str(rng.randint(0, 9)) for _ in range(8)
    )


def demo_roll_csv(seed: int = 20261122) -> bytes:
    """Return the demo roll as UTF-8 CSV bytes in the roll format (with names and phones)."""
    rng = random.Random(seed)
    flats, shops, parking = _flats(rng), _shops(rng), _parking(rng)
    owners: dict[str, tuple[str, str]] = {}  # key -> (name, phone)
    counter = 0

    def new_owner(name: str | None = None) -> str:
        nonlocal counter
        counter += 1
        key = f"O{counter:05d}"
        owners[key] = (name or _person_name(rng), _phone(rng))
        return key

    rows: list[tuple[_Unit, list[str], bool]] = []
    flat_holders: list[list[str]] = []
    for unit in flats:
        roll = rng.random()
        if roll < 0.02:
            rows.append((unit, [], True))
            continue
        if roll < 0.05 and flat_holders:
            # An investor owning a second flat: the same owner set as an earlier flat.
            holders = rng.choice(flat_holders)
        elif roll < 0.20:
            holders = [new_owner(), new_owner()]  # a couple, co-owners
        else:
            holders = [new_owner()]
        flat_holders.append(holders)
        rows.append((unit, holders, False))

    company_keys = [new_owner(name) for name in _COMPANIES]
    for i, unit in enumerate(shops):
        if i % 8 == 7:
            rows.append((unit, [], True))
        elif i < len(company_keys):
            rows.append((unit, [company_keys[i]], False))
        else:
            rows.append((unit, [new_owner()], False))

    for i, unit in enumerate(parking):
        if i % 20 == 19:
            rows.append((unit, [], True))
        else:
            # Most parking units belong to an owner who also holds a flat.
            rows.append((unit, rng.choice(flat_holders), False))

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["unit", "building", "area", "owners", "developer", "owner_names", "owner_phones", "kind"]
    )
    for unit, holders, is_developer in rows:
        writer.writerow(
            csv_cells(
                [
                    unit.code,
                    unit.building,
                    format_hundredths(unit.area_centi),
                    ";".join(holders),
                    "1" if is_developer else "",
                    ";".join(owners[k][0] for k in holders),
                    ";".join(owners[k][1] for k in holders),
                    unit.kind,
                ],
                numeric={2},
            )
        )
    return out.getvalue().encode("utf-8")


DEMO_BUILDING_NAMES = {f"{b:02d}": f"{b}号楼" for b in range(1, RESIDENTIAL_BUILDINGS + 1)} | {
    "S": "沿街商铺",
    "P": "地下车库",
}
