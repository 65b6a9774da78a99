"""Re-importing a roll over an existing register: every kind of change is written and counted,
links follow the roll's owners and order, and nothing else moves."""

from __future__ import annotations

import sqlalchemy as sa

from estate.models import Building, Owner, Unit, UnitOwner
from estate.services import export_roll, import_roll, import_roll_file
from fundvote.runtime import Runtime
from notary.work import UnitOfWork

FIRST = (
    "unit,building,area,owners,developer,owner_names,owner_phones,kind\n"
    "1-101,1,89.37,o1;o2,,张三明;李四,13812341234;,flat\n"
    "1-102,1,89.37,o3,,王五,13912345678,flat\n"
    "1-103,1,50,o4,,赵六,,shop\n"
    "2-101,2,120.05,o1;o2,,,,\n"
    "2-102,2,64,,1,,,parking\n"
).encode()


def imp(rt: Runtime, data: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    return rt.run(
        import_roll_file,
        community_code="JB01",
        data=data,
        filename="roll.csv",
        cipher=rt.cipher,
        **kwargs,  # type: ignore[arg-type]
    )


def register(rt: Runtime) -> dict[str, tuple[str, int, str, bool, list[str]]]:
    """unit code -> (building code, area, kind, developer-held, owner keys in roll order)."""
    with rt.session_factory() as s:
        return {
            u.code: (
                u.building.code,
                u.area_centi,
                u.kind,
                u.is_developer_held,
                [link.owner.key for link in u.owner_links],
            )
            for u in s.scalars(sa.select(Unit))
        }


def owners(rt: Runtime) -> dict[str, tuple[str, str, str | None]]:
    """owner key -> (ref, name, phone in clear)."""
    with rt.session_factory() as s:
        return {
            o.key: (
                o.ref,
                o.name,
                None
                if o.phone_enc is None
                else rt.cipher.decrypt(o.phone_enc, purpose=f"owner.phone:{o.ref}"),
            )
            for o in s.scalars(sa.select(Owner))
        }


def test_every_kind_of_change_is_written_and_counted(runtime: Runtime, community: str) -> None:
    imp(runtime, FIRST)
    before = owners(runtime)
    change = (
        "unit,building,area,owners,developer,owner_names,owner_phones,kind\n"
        "1-101,1,89.37,o2;o1,,,,flat\n"  # co-owners swap places: only the order changes
        "1-102,1,89.37,o3;o7,,王五一;孙七,13912345678;13700000000,flat\n"  # co-owner joins
        "1-103,3,51.5,o4,,,13600000000,flat\n"  # building, area, kind; a phone is added
        "2-102,2,64,,1,,,parking\n"  # unchanged
        "3-101,3,77,o1,,,,\n"  # new unit of a known owner in a new building
    ).encode()
    summary = imp(runtime, change, building_names={"3": "3号楼", "1": "1号楼"})
    assert (summary.units_created, summary.units_updated, summary.units_unchanged) == (1, 3, 1)
    assert (summary.owners_created, summary.owners_updated, summary.buildings_created) == (1, 2, 1)
    units = register(runtime)
    assert units["1-101"] == ("1", 8937, "flat", False, ["o2", "o1"])
    assert units["1-102"] == ("1", 8937, "flat", False, ["o3", "o7"])
    assert units["1-103"] == ("3", 5150, "flat", False, ["o4"])
    assert units["2-101"] == ("2", 12005, "flat", False, ["o1", "o2"])  # absent: untouched
    assert units["2-102"] == ("2", 6400, "parking", True, [])
    assert units["3-101"] == ("3", 7700, "flat", False, ["o1"])
    after = owners(runtime)
    assert {k: v[0] for k, v in after.items() if k in before} == {
        k: v[0] for k, v in before.items()
    }  # refs never change
    assert after["o3"][1:] == ("王五一", "13912345678")
    assert after["o4"][1:] == ("赵六", "13600000000")
    assert after["o7"][1:] == ("孙七", "13700000000")
    assert after["o1"][1:] == ("张三明", "13812341234")  # no name or phone given: kept
    with runtime.session_factory() as s:
        assert {b.code: b.name for b in s.scalars(sa.select(Building))} == {
            "1": "1号楼",
            "2": "2",
            "3": "3号楼",
        }
        assert s.scalar(sa.select(sa.func.count()).select_from(UnitOwner)) == 8


def test_links_are_replaced_when_owners_leave_and_join(runtime: Runtime, community: str) -> None:
    imp(runtime, FIRST)
    summary = imp(
        runtime,
        b"unit,building,area,owners,developer\n"
        b"2-101,2,120.05,o5;o2;o6,,\n"  # o1 leaves, o2 moves to the middle, two join
        b"2-102,2,64,o1,,\n",  # delivered to o1
    )
    assert (summary.units_updated, summary.units_unchanged, summary.owners_created) == (2, 0, 2)
    units = register(runtime)
    assert units["2-101"][4] == ["o5", "o2", "o6"]
    assert units["2-102"] == ("2", 6400, "flat", False, ["o1"])  # no kind column: flat
    # the export gives the same owners in the same order, so it imports back unchanged
    exported = runtime.query(lambda uow: export_roll(uow.session, "JB01"))
    again = imp(runtime, exported)
    assert (again.units_created, again.units_updated, again.owners_updated) == (0, 0, 0)
    assert again.units_unchanged == 5


def test_the_log_event_names_the_stored_refs(runtime: Runtime, community: str) -> None:
    imp(runtime, FIRST)
    summary = imp(runtime, b"unit,building,area,owners,developer\n1-101,1,89.37,o2;o9,,\n")
    refs = {k: v[0] for k, v in owners(runtime).items()}
    from notary import store

    with runtime.session_factory() as s:
        entry = store.entry(s, "JB01", summary.log_index).data
    assert entry["data"]["units"] == [
        {
            "unit": "1-101",
            "building": "1",
            "area_centi": 8937,
            "kind": "flat",
            "developer": False,
            "owners": [refs["o2"], refs["o9"]],
        }
    ]
    assert entry["data"]["counts"]["owners_created"] == 1


def test_objects_loaded_in_the_same_unit_of_work_see_the_import(
    runtime: Runtime, community: str
) -> None:
    """The import writes with bulk statements; what the unit of work loaded before is
    refreshed, so a composite use case reads the new register."""
    imp(runtime, FIRST)

    def step(uow: UnitOfWork) -> tuple[int, list[str], str, str]:
        unit = uow.session.scalars(sa.select(Unit).where(Unit.code == "1-101")).one()
        assert [link.owner.key for link in unit.owner_links] == ["o1", "o2"]
        owner = uow.session.scalars(sa.select(Owner).where(Owner.key == "o1")).one()
        import_roll_file(
            uow,
            community_code="JB01",
            data="unit,building,area,owners,developer,owner_names\n1-101,1,90,o3;o1,,Z;新名\n".encode(),
            cipher=runtime.cipher,
        )
        import_roll(
            uow,
            community_code="JB01",
            rows=[],
            cipher=runtime.cipher,
            source_name="empty",
        )
        owner3 = uow.session.scalars(sa.select(Owner).where(Owner.key == "o3")).one()
        keys = [link.owner.key for link in unit.owner_links]
        return unit.area_centi, keys, owner3.name, owner.name

    assert runtime.run(step) == (9000, ["o3", "o1"], "Z", "新名")
