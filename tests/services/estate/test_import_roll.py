"""Importing a roll: all-or-nothing, idempotent, logged by owner ref only, phones encrypted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from estate.errors import CommunityExists, CommunityNotFound, RollRejected
from estate.models import Building, Community, Owner, Unit, UnitOwner
from estate.roll import format_problem
from estate.services import create_community, import_roll_file
from fundvote.runtime import Runtime
from fundvote.schema import load_metadata

GOOD = (
    "unit,building,area,owners,developer,owner_names,owner_phones\n"
    "1-101,1,89.37,o1;o2,,张三明;李四,13812341234;\n"
    "1-102,1,89.37,o3,,王五,+86 139-1234-5678\n"
    "2-101,2,120.05,o1;o2,,,\n"
    "2-102,2,64,,1,,\n"
).encode()


def counts(rt: Runtime) -> dict[str, int]:
    """Rows in every table of the schema (the register and the log tables alike)."""
    with rt.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in load_metadata().sorted_tables
        }


def imp(rt: Runtime, data: bytes, name: str = "roll.csv", code: str = "JB01"):  # type: ignore[no-untyped-def]
    return rt.run(import_roll_file, community_code=code, data=data, filename=name, cipher=rt.cipher)


def log_entries(rt: Runtime, log: str) -> list[dict]:  # type: ignore[type-arg]
    from notary import store

    with rt.session_factory() as s:
        return [e.data for e in store.entries(s, log)]


def test_create_community_is_logged_and_unique(runtime: Runtime, community: str) -> None:
    with pytest.raises(CommunityExists):
        runtime.run(create_community, code="JB01", name="x")
    with runtime.session_factory() as s:
        c = s.scalars(sa.select(Community)).one()
        assert (c.publicity_days, c.deemed_majority_enabled, c.binding_result, c.fund_holder) == (
            7,
            False,
            "plain",
            "authority",
        )
    [entry] = log_entries(runtime, "JB01")
    assert entry["type"] == "estate.community_created"
    # Every rule in force from the start, so a verifier reading the log alone knows them all,
    # the emergency publication period included.
    assert entry["data"]["settings"] == {
        "publicity_days": 7,
        "deemed_majority_enabled": False,
        "binding_result": "plain",
        "fund_holder": "authority",
        "emergency_publish_days": 30,
    }


def test_good_import(runtime: Runtime, community: str) -> None:
    summary = imp(runtime, GOOD)
    assert (
        summary.units_created,
        summary.units_updated,
        summary.buildings_created,
        summary.owners_created,
    ) == (4, 0, 2, 3)
    assert summary.source_sha256 == hashlib.sha256(GOOD).hexdigest()
    assert summary.log_index == 1
    with runtime.session_factory() as s:
        units = {u.code: u for u in s.scalars(sa.select(Unit))}
        assert units["1-101"].area_centi == 8937
        assert units["2-102"].is_developer_held and units["2-102"].owner_links == []
        assert [link.owner.key for link in units["1-101"].owner_links] == ["o1", "o2"]
        owners = {o.key: o for o in s.scalars(sa.select(Owner))}
        assert owners["o1"].name == "张三明" and owners["o3"].name == "王五"
        assert owners["o2"].phone_enc is None
        o1 = owners["o1"]
        assert o1.phone_enc is not None
        assert runtime.cipher.decrypt(o1.phone_enc, purpose=f"owner.phone:{o1.ref}") == (
            "13812341234"
        )
        assert len({o.ref for o in owners.values()}) == 3
        refs = {k: o.ref for k, o in owners.items()}
    entry = log_entries(runtime, "JB01")[1]
    assert entry["type"] == "estate.roll_imported"
    assert entry["data"]["source_sha256"] == summary.source_sha256
    assert entry["data"]["counts"]["units_created"] == 4
    assert entry["data"]["units"][0] == {
        "unit": "1-101",
        "building": "1",
        "area_centi": 8937,
        "kind": "flat",
        "developer": False,
        "owners": [refs["o1"], refs["o2"]],
    }
    body = json.dumps(entry, ensure_ascii=False)
    for secret in ("张三明", "李四", "王五", "13812341234", "1234-5678", "o1", "roll.csv"):
        assert secret not in body


def test_phones_are_encrypted_at_rest(runtime: Runtime, community: str) -> None:
    imp(runtime, GOOD)
    with runtime.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT phone_enc FROM owner WHERE phone_enc IS NOT NULL"))
        blobs = [bytes(r[0]) for r in raw]
    assert len(blobs) == 2
    for blob in blobs:
        for digits in (b"13812341234", b"13912345678", b"1234", "13812341234".encode("utf-16")):
            assert digits not in blob


def test_reimport_is_idempotent(runtime: Runtime, community: str) -> None:
    imp(runtime, GOOD)
    with runtime.session_factory() as s:
        before = {o.key: (o.ref, o.name, o.phone_enc) for o in s.scalars(sa.select(Owner))}
    rows_before = counts(runtime)
    again = imp(runtime, GOOD)
    assert (again.units_created, again.units_updated, again.units_unchanged) == (0, 0, 4)
    assert (again.owners_created, again.owners_updated, again.buildings_created) == (0, 0, 0)
    with runtime.session_factory() as s:
        after = {o.key: (o.ref, o.name, o.phone_enc) for o in s.scalars(sa.select(Owner))}
    assert after == before  # same refs, names and even the same ciphertexts
    grown = {t: n - rows_before[t] for t, n in counts(runtime).items() if n != rows_before[t]}
    assert set(grown) <= {"log_entry", "log_node"}  # only the second import event was added
    assert grown["log_entry"] == 1


def test_update_moves_units_changes_owners_and_leaves_absent_units(
    runtime: Runtime, community: str
) -> None:
    imp(runtime, GOOD)
    update = (
        "unit,building,area,owners,developer,owner_names\n"
        "1-101,1,89.37,o2;o4,,;赵六\n"  # o1 leaves, o4 joins, o2 now first
        "2-102,3,64.5,o5,,\n"  # delivered: no longer developer-held, new building, new area
    ).encode()
    summary = imp(runtime, update, "update.csv")
    assert (summary.units_created, summary.units_updated, summary.units_unchanged) == (0, 2, 0)
    assert (summary.owners_created, summary.buildings_created) == (2, 1)
    with runtime.session_factory() as s:
        units = {u.code: u for u in s.scalars(sa.select(Unit))}
        assert set(units) == {"1-101", "1-102", "2-101", "2-102"}  # absent units stay
        assert [link.owner.key for link in units["1-101"].owner_links] == ["o2", "o4"]
        u = units["2-102"]
        assert (u.building.code, u.area_centi, u.is_developer_held) == ("3", 6450, False)
        assert [link.owner.key for link in u.owner_links] == ["o5"]
        owners = {o.key: o for o in s.scalars(sa.select(Owner))}
        assert owners["o2"].name == "李四"  # empty position leaves the name alone
        assert owners["o4"].name == "赵六"
        assert owners["o1"].phone_enc is not None  # absent column leaves the phone alone
        assert s.scalar(sa.select(sa.func.count()).select_from(UnitOwner)) == 6  # 2+1+2+1


BAD = (
    "unit,building,area,owners,developer,owner_names\n"
    "1-101,1,89.37,o1,,张三\n"
    "1-101,1,50,o2,,\n"
    "1-103,1,50,,,\n"
    "1-104,1,12.345,o4,,\n"
    "1-105,,50,o5,,\n"
    "1-106,1,50,o6;o7,,王五\n"
    "1-107,1,50,o1,,李四\n"
    "1-108,1,60,o8,,\n"
).encode()


def test_bad_file_is_rejected_whole_and_writes_nothing(runtime: Runtime, community: str) -> None:
    imp(runtime, GOOD)
    before = counts(runtime)
    assert before["log_entry"] == 2 and before["unit"] == 4
    with pytest.raises(RollRejected) as info:
        imp(runtime, BAD, "bad-roll.csv")
    assert [format_problem(p) for p in info.value.problems] == [
        "bad-roll.csv:3: unit: unit '1-101' already appears on line 2",
        "bad-roll.csv:4: owners: no owners are given and the unit is not developer-held",
        "bad-roll.csv:5: area: '12.345' has more than two decimals (expected m² like 89.37)",
        "bad-roll.csv:6: building: the building is missing",
        "bad-roll.csv:7: owner_names: 1 value(s) for 2 owner(s): give one value for each"
        " owner, in the same order as the owners",
        "bad-roll.csv:8: owner_names: owner 'o1' has a different name on line 2",
    ]
    assert info.value.code == "roll-rejected"
    assert "6 problems" in info.value.text
    assert counts(runtime) == before


def test_failure_inside_the_transaction_rolls_back_everything(
    runtime: Runtime, community: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the log append fails, the units written before it in the same transaction vanish."""
    from notary import store

    before = counts(runtime)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(store, "append_body", broken)  # every append ends there
    with pytest.raises(RuntimeError):
        imp(runtime, GOOD)
    assert counts(runtime) == before


def test_unknown_community(runtime: Runtime) -> None:
    with pytest.raises(CommunityNotFound):
        imp(runtime, GOOD, code="NOPE")


def test_owner_keys_are_per_community(runtime: Runtime, community: str) -> None:
    runtime.run(create_community, code="JB02", name="Other")
    imp(runtime, GOOD)
    imp(runtime, GOOD, code="JB02")
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Owner)) == 6
        assert s.scalar(sa.select(sa.func.count()).select_from(Building)) == 4
    assert [e["type"] for e in log_entries(runtime, "JB02")] == [
        "estate.community_created",
        "estate.roll_imported",
    ]


def test_import_from_a_path_with_building_names(
    runtime: Runtime, community: str, tmp_path: Path
) -> None:
    path = tmp_path / "江滨.csv"
    path.write_bytes(GOOD)
    summary = runtime.run(
        import_roll_file,
        community_code=community,
        data=path,
        cipher=runtime.cipher,
        building_names={"1": "1号楼"},
    )
    assert summary.source_name == "江滨.csv" and summary.units_created == 4
    with runtime.session_factory() as s:
        names = {b.code: b.name for b in s.scalars(sa.select(Building))}
    assert names == {"1": "1号楼", "2": "2"}


def test_changed_name_and_phone_count_as_owner_updates(runtime: Runtime, community: str) -> None:
    imp(runtime, GOOD)
    change = (
        "unit,building,area,owners,developer,owner_names,owner_phones\n"
        "1-102,1,89.37,o3,,王五一,13912345678\n"  # new name, same phone
        "1-101,1,89.37,o1;o2,,,;13700000000\n"  # o2 gets a phone
    ).encode()
    summary = imp(runtime, change)
    assert (summary.owners_created, summary.owners_updated, summary.units_updated) == (0, 2, 0)
    with runtime.session_factory() as s:
        o2 = s.scalars(sa.select(Owner).where(Owner.key == "o2")).one()
        assert o2.phone_enc is not None
        assert runtime.cipher.decrypt(o2.phone_enc, purpose=f"owner.phone:{o2.ref}") == (
            "13700000000"
        )
