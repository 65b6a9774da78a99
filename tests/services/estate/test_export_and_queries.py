"""Exporting the roll (CSV and XLSX round trips) and the committee's queries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from estate.errors import UnitNotFound
from estate.models import Owner
from estate.queries import community_totals, list_communities, list_owners, list_units, unit_detail
from estate.roll import parse_roll
from estate.services import export_roll, import_roll_file
from fundvote.runtime import Runtime

ROLL = (
    "unit,building,area,owners,developer,owner_names,owner_phones,kind\n"
    "1-101,1,89.37,o1;o2,,张三明;李四,13812341234;,\n"
    "1-102,1,89.37,o3,,王_五%,13912345678,\n"
    "10-1,10,120.05,o1;o2,,,,shop\n"
    "9-1,9,64,,1,,,parking\n"
).encode()


@pytest.fixture
def loaded(runtime: Runtime, community: str) -> Runtime:
    runtime.run(
        import_roll_file,
        community_code=community,
        data=ROLL,
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    return runtime


def _export(rt: Runtime, fmt: str) -> bytes:
    with rt.session_factory() as s:
        return export_roll(s, "JB01", fmt)


def test_csv_export_has_names_but_never_phones(loaded: Runtime) -> None:
    text = _export(loaded, "csv").decode("utf-8")
    assert text.splitlines() == [
        "unit,building,area,owners,developer,owner_names,kind",
        "1-101,1,89.37,o1;o2,,张三明;李四,flat",
        "1-102,1,89.37,o3,,王_五%,flat",
        "10-1,10,120.05,o1;o2,,张三明;李四,shop",
        "9-1,9,64.00,,1,,parking",
    ]
    assert "1381234" not in text and "1391234" not in text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_without_changes(loaded: Runtime, fmt: str) -> None:
    data = _export(loaded, fmt)
    rows, problems = parse_roll(data, f"export.{fmt}")
    assert problems == []
    assert [(r.unit, r.area_centi, r.owner_keys, r.kind) for r in rows][:2] == [
        ("1-101", 8937, ("o1", "o2"), "flat"),
        ("1-102", 8937, ("o3",), "flat"),
    ]
    with loaded.session_factory() as s:
        phones_before = {o.key: o.phone_enc for o in s.scalars(sa.select(Owner))}
    summary = loaded.run(
        import_roll_file,
        community_code="JB01",
        data=data,
        filename=f"export.{fmt}",
        cipher=loaded.cipher,
    )
    assert (summary.units_unchanged, summary.units_updated, summary.owners_updated) == (4, 0, 0)
    with loaded.session_factory() as s:
        assert {o.key: o.phone_enc for o in s.scalars(sa.select(Owner))} == phones_before
    assert _export(loaded, fmt if fmt == "csv" else "csv") == _export(loaded, "csv")


def test_list_units_search_and_pages(loaded: Runtime) -> None:
    with loaded.session_factory() as s:
        page = list_units(s, "JB01")
        assert [u.code for u in page.items] == ["1-101", "1-102", "10-1", "9-1"]  # ordinal
        assert page.total == 4 and page.pages == 1
        assert page.items[0].owner_names == ["张三明", "李四"]
        assert [u.code for u in list_units(s, "JB01", search="李").items] == ["1-101", "10-1"]
        assert [u.code for u in list_units(s, "JB01", search="10").items] == [
            "1-101",
            "1-102",
            "10-1",
        ]
        assert [u.code for u in list_units(s, "JB01", search=" 10- ").items] == ["10-1"]
        # LIKE wildcards typed by the user are literal
        assert [u.code for u in list_units(s, "JB01", search="_五%").items] == ["1-102"]
        assert [u.code for u in list_units(s, "JB01", search="%").items] == ["1-102"]
        second = list_units(s, "JB01", page=2, page_size=3)
        assert [u.code for u in second.items] == ["9-1"] and second.pages == 2
        assert list_units(s, "JB01", page_size=10_000).page_size == 200


def test_unit_detail_masks_phones(loaded: Runtime) -> None:
    with loaded.session_factory() as s:
        d = unit_detail(s, "JB01", "1-101", cipher=loaded.cipher)
        assert [(o.key, o.name, o.phone_masked) for o in d.owners] == [
            ("o1", "张三明", "138****1234"),
            ("o2", "李四", None),
        ]
        assert all(o.ref.startswith("o_") for o in d.owners)
        with pytest.raises(UnitNotFound):
            unit_detail(s, "JB01", "nope", cipher=loaded.cipher)


def test_owners_and_totals(loaded: Runtime) -> None:
    with loaded.session_factory() as s:
        owners = list_owners(s, "JB01")
        assert [(o.key, o.unit_codes) for o in owners.items] == [
            ("o1", ["1-101", "10-1"]),
            ("o2", ["1-101", "10-1"]),
            ("o3", ["1-102"]),
        ]
        assert [o.key for o in list_owners(s, "JB01", search="张").items] == ["o1"]
        t = community_totals(s, "JB01")
        assert (t.buildings, t.units, t.developer_units, t.area_centi, t.owners) == (
            3,
            4,
            1,
            8937 + 8937 + 12005 + 6400,
            3,
        )
        assert list_communities(s) == [("JB01", "Jiangbin Garden")]


def test_search_is_case_insensitive_on_every_database(runtime: Runtime, community: str) -> None:
    runtime.run(
        import_roll_file,
        community_code=community,
        data=b"unit,building,area,owners,developer,owner_names\nA-1,B,1,k1,,Alice Ltd\n",
        filename="r.csv",
        cipher=runtime.cipher,
    )
    with runtime.session_factory() as s:
        assert [u.code for u in list_units(s, "JB01", search="a-1").items] == ["A-1"]
        assert [u.code for u in list_units(s, "JB01", search="alice").items] == ["A-1"]
        assert [o.key for o in list_owners(s, "JB01", search="LTD").items] == ["k1"]


def test_xlsx_export_has_chinese_headers_and_numeric_areas(loaded: Runtime) -> None:
    import io
    from decimal import Decimal

    import openpyxl

    from estate.roll import CHINESE_TITLES

    book = openpyxl.load_workbook(io.BytesIO(_export(loaded, "xlsx")))
    try:
        sheet = book.active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=False))
        header = [c.value for c in rows[0]]
        assert header == [
            "房号",
            "楼栋",
            "面积（m²）",
            "业主编号",
            "建设单位持有",
            "业主姓名",
            "类型",
        ]
        assert header == [
            CHINESE_TITLES[k]
            for k in ("unit", "building", "area", "owners", "developer", "owner_names", "kind")
        ]
        areas = [row[2] for row in rows[1:]]
        assert all(c.data_type == "n" and c.number_format == "0.00" for c in areas)
        assert [Decimal(str(c.value)) for c in areas] == [
            Decimal("89.37"),
            Decimal("89.37"),
            Decimal("120.05"),
            Decimal("64"),
        ]
        assert all(c.data_type == "s" for c in rows[1][:2])  # codes stay text
    finally:
        book.close()
