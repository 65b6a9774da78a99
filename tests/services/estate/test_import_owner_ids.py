"""Roll import with owner_ids: validated per position with file/line/field messages, kept as
the encrypted last four characters and a keyed HMAC only; never in the log or the export."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from estate.errors import RollRejected
from estate.id_numbers import normalise_id_number
from estate.models import Owner
from estate.roll import format_problem
from estate.services import (
    create_community,
    export_roll,
    id_last4_purpose,
    id_number_hmac,
    import_roll_file,
)
from fundvote.runtime import Runtime
from notary import store

ID1 = "11010519491231002X"
ID2 = "E12345678"
GOOD = (
    "unit,building,area,owners,developer,owner_names,owner_ids\n"
    f"1-101,1,89.37,o1;o2,,张三明;李四,{ID1[:6]} {ID1[6:14]} {ID1[14:].lower()};{ID2}\n"
    "1-102,1,89.37,o3,,王五,\n"
    f"2-101,2,120.05,o1,,,{ID1}\n"
).encode()


def imp(rt: Runtime, data: bytes, name: str = "roll.csv") -> object:
    return rt.run(
        import_roll_file, community_code="JB01", data=data, filename=name, cipher=rt.cipher
    )


@pytest.fixture
def community(runtime: Runtime) -> Runtime:
    runtime.run(create_community, code="JB01", name="江滨花园")
    return runtime


def owners(rt: Runtime) -> dict[str, Owner]:
    with rt.session_factory() as s:
        return {o.key: o for o in s.scalars(sa.select(Owner))}


def test_ids_are_kept_as_encrypted_last4_and_keyed_hmac_only(community: Runtime) -> None:
    rt = community
    imp(rt, GOOD)
    stored = owners(rt)
    o1, o2, o3 = stored["o1"], stored["o2"], stored["o3"]
    assert o1.id_hmac == id_number_hmac(rt.cipher, ID1)
    assert o1.id_hmac != hashlib.sha256(ID1.encode()).hexdigest()
    assert o1.id_last4_enc is not None
    assert rt.cipher.decrypt(o1.id_last4_enc, purpose=id_last4_purpose(o1.ref)) == "002X"
    assert rt.cipher.decrypt(o2.id_last4_enc or b"", purpose=id_last4_purpose(o2.ref)) == "5678"
    assert o3.id_last4_enc is None and o3.id_hmac is None
    # Nowhere in clear: not in any column, not in the log, not in the export.
    with rt.engine.connect() as conn:
        dump = repr(conn.execute(sa.text("SELECT * FROM owner")).all())
    with rt.session_factory() as s:
        log = "\n".join(e.body_bytes.decode() for e in store.entries(s, "JB01"))
    export = _export(rt)
    for text in (dump, log, export):
        assert ID1 not in text and ID2 not in text and "002X" not in text
    assert "id" not in export.splitlines()[0].split(",")[-1]


def _export(rt: Runtime) -> str:
    with rt.session_factory() as s:
        return export_roll(s, "JB01").decode()


def test_reimport_without_ids_keeps_them_and_a_new_id_replaces(community: Runtime) -> None:
    rt = community
    imp(rt, GOOD)
    before = owners(rt)["o1"].id_hmac
    imp(rt, _export(rt).encode())  # the export has no owner_ids column
    assert owners(rt)["o1"].id_hmac == before
    other = next(  # the same person's number with a valid check character
        n for c in "0123456789X" if normalise_id_number(n := "11010519491231003" + c)
    )
    imp(rt, f"unit,building,area,owners,developer,owner_ids\n1-102,1,89.37,o3,,{other}\n".encode())
    o3 = owners(rt)["o3"]
    assert o3.id_hmac == id_number_hmac(rt.cipher, other)


def test_bad_ids_are_named_by_file_line_field_and_position_never_echoed(
    community: Runtime,
) -> None:
    rt = community
    bad = (
        "unit,building,area,owners,developer,owner_ids\n"
        "1-101,1,89.37,o1;o2,,;110105194912310021\n"  # wrong check character
        "1-102,1,89.37,o3,,12345\n"  # digits only
        "1-103,1,89.37,o4,,E12345678;E7654321\n"  # two values for one owner
        f"1-104,1,89.37,o5,,{ID1}\n"
        f"1-105,1,89.37,o5,,{ID2}\n"  # the same owner with another number
    ).encode()
    with pytest.raises(RollRejected) as exc:
        imp(rt, bad, "roll.csv")
    lines = [format_problem(p) for p in exc.value.problems]
    assert lines[0].startswith("roll.csv:2: owner_ids: value 2 is not a valid resident ID")
    assert lines[1].startswith("roll.csv:3: owner_ids: value 1 is not an ID number")
    assert lines[2].startswith("roll.csv:4: owner_ids: 2 value(s) for 1 owner(s)")
    assert lines[3] == "roll.csv:6: owner_ids: owner 'o5' has a different ID number on line 5"
    text = "\n".join(lines)
    assert "110105194912310021" not in text and "12345" not in text.replace("roll.csv", "")
    assert owners(rt) == {}  # nothing written
