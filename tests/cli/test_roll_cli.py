"""``fundvote community add`` and ``fundvote roll import|export`` against the test database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from estate.models import Owner, Unit
from estate.roll import parse_roll
from fundvote.runtime import Runtime
from fundvote.schema import load_metadata

GOOD = (
    "unit,building,area,owners,developer,owner_names,owner_phones\n"
    "1-101,1,89.37,o1,,张三明,13812341234\n"
    "1-102,1,90,o2,,李四,\n"
)
BAD = (
    "unit,building,area,owners,developer,owner_names\n"
    "1-101,1,89.37,o1,,张三\n"
    "1-101,1,50,o2,,\n"
    "1-103,,50,o3;o4,,王五\n"
)


def counts(rt: Runtime) -> dict[str, int]:
    with rt.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in load_metadata().sorted_tables
        }


def test_add_import_export(cli, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("community", "add", "JB01", "江滨花园")
    assert (r.exit_code, r.stdout) == (0, "community JB01 created: 江滨花园\n")
    r = cli("community", "add", "JB01", "again")
    assert (r.exit_code, r.stderr) == (2, "fundvote: Community JB01 already exists.\n")

    roll = tmp_path / "roll.csv"
    roll.write_text(GOOD, encoding="utf-8")
    r = cli("roll", "import", "JB01", str(roll))
    assert r.exit_code == 0, r.stderr
    assert "units 2 new, 0 changed, 0 unchanged; owners 2 new" in r.stdout
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Unit)) == 2
        o1 = s.scalars(sa.select(Owner).where(Owner.key == "o1")).one()
        assert o1.phone_enc is not None
        assert runtime.cipher.decrypt(o1.phone_enc, purpose=f"owner.phone:{o1.ref}") == (
            "13812341234"
        )

    r = cli("roll", "export", "JB01")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        "unit,building,area,owners,developer,owner_names,kind",
        "1-101,1,89.37,o1,,张三明,flat",
        "1-102,1,90.00,o2,,李四,flat",
    ]
    out = tmp_path / "export.xlsx"
    r = cli("roll", "export", "JB01", "-o", str(out))
    assert r.exit_code == 0
    rows, problems = parse_roll(out.read_bytes(), out.name)
    assert problems == [] and [r.unit for r in rows] == ["1-101", "1-102"]


def test_rejected_import_prints_one_line_and_writes_nothing(
    cli,
    runtime: Runtime,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    assert cli("community", "add", "JB01", "江滨花园").exit_code == 0
    before = counts(runtime)
    roll = tmp_path / "bad.csv"
    roll.write_text(BAD, encoding="utf-8")
    r = cli("roll", "import", "JB01", str(roll))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{roll}:3: unit: unit '1-101' already appears on line 2 (and 2 more problems)"
        " (rejected, nothing imported)"
    ]
    r = cli("roll", "import", "JB01", str(roll), "--all-problems")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"{roll}:3: unit: unit '1-101' already appears on line 2",
        f"{roll}:4: building: the building is missing",
        f"{roll}:4: owner_names: 1 value(s) for 2 owner(s): give one value for each"
        " owner, in the same order as the owners (rejected, nothing imported)",
    ]
    assert counts(runtime) == before


def test_unknown_community_and_missing_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    roll = tmp_path / "roll.csv"
    roll.write_text(GOOD, encoding="utf-8")
    r = cli("roll", "import", "NOPE", str(roll))
    assert (r.exit_code, r.stderr) == (2, "fundvote: There is no community NOPE.\n")
    r = cli("roll", "import", "NOPE", str(tmp_path / "missing.csv"))
    assert (r.exit_code, r.stderr) == (2, f"{tmp_path / 'missing.csv'}: no such file\n")
    r = cli("roll", "export", "NOPE")
    assert (r.exit_code, r.stderr) == (2, "fundvote: There is no community NOPE.\n")
    r = cli("community", "add", "bad code", "x")
    assert r.exit_code == 2 and r.stderr.startswith("fundvote: A community code is")
