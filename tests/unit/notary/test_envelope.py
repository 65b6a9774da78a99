"""The entry envelope and the personal-data guard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.envelope import (
    PERSONAL_DATA_KEYS,
    NaiveTimestamp,
    PersonalDataInEntry,
    entry_body,
    make_entry,
    refuse_personal_data,
)
from notary.errors import DomainError

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def test_make_entry_shape() -> None:
    salt = "0123456789abcdef" * 2
    entry = make_entry("ballot.cast", AT, "JB01", {"ballot": 7, "member": "m-3f2a"}, salt=salt)
    assert entry == {
        "v": 2,
        "type": "ballot.cast",
        "at": "2026-11-01T02:00:00.000000Z",
        "community": "JB01",
        "salt": salt,
        "data": {"ballot": 7, "member": "m-3f2a"},
    }
    assert entry_body("ballot.cast", AT, "JB01", entry["data"], salt=salt) == (
        b'{"at":"2026-11-01T02:00:00.000000Z","community":"JB01",'
        b'"data":{"ballot":7,"member":"m-3f2a"},"salt":"' + salt.encode() + b'",'
        b'"type":"ballot.cast","v":2}'
    )


def test_every_entry_gets_a_fresh_random_salt() -> None:
    salts = [make_entry("t", AT, "JB01", {})["salt"] for _ in range(200)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in salts)
    assert len(set(salts)) == len(salts)
    first, second = (entry_body("t", AT, "JB01", {"n": 1}) for _ in range(2))
    assert first != second  # the same event twice: two leaf hashes


@pytest.mark.parametrize("salt", ["", "0" * 31, "0" * 33, "A" * 32, "g" * 32])
def test_a_malformed_salt_is_refused(salt: str) -> None:
    with pytest.raises(ValueError):
        make_entry("t", AT, "JB01", {}, salt=salt)


def test_times_are_converted_to_utc_with_microseconds() -> None:
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=shanghai)
    assert make_entry("t", at, "JB01", {})["at"] == "2026-11-01T02:00:00.123456Z"


def test_naive_times_are_refused() -> None:
    with pytest.raises(NaiveTimestamp):
        make_entry("t", datetime(2026, 11, 1, 2, 0), "JB01", {})


def test_floats_are_refused_with_their_path() -> None:
    with pytest.raises(TypeError, match=r"\$\.data\.share"):
        make_entry("t", AT, "JB01", {"share": 0.5})


def test_type_and_community_are_required() -> None:
    with pytest.raises(ValueError):
        make_entry("", AT, "JB01", {})
    with pytest.raises(ValueError):
        make_entry("t", AT, "", {})


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"name": "x"}, "$.data.name"),
        ({"owners": [{"id": 1}, {"id": 2, "phone": "x"}]}, "$.data.owners[1].phone"),
        ({"unit": {"owner_names": ["x"]}}, "$.data.unit.owner_names"),
        ({"ownerPhones": ["x"]}, "$.data.ownerPhones"),
        ({"ID_Number": "x"}, "$.data.ID_Number"),
        ({"e-mail": "x"}, "$.data.e-mail"),
        ({"mobile": None}, "$.data.mobile"),
    ],
)
def test_personal_data_keys_are_refused(data: dict[str, Any], path: str) -> None:
    with pytest.raises(PersonalDataInEntry) as caught:
        make_entry("t", AT, "JB01", data)
    assert caught.value.params["path"] == path
    assert path in caught.value.text
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == "personal-data-in-entry"


def test_the_error_never_carries_the_value() -> None:
    with pytest.raises(PersonalDataInEntry) as caught:
        refuse_personal_data({"phone": "13800138000"})
    assert "13800138000" not in str(caught.value)


def test_opaque_ids_and_other_keys_pass() -> None:
    data = {"owner_id": "o-1", "owner_ids": ["o-2"], "unit_id": 3, "question": {"title": "t"}}
    assert make_entry("t", AT, "JB01", data)["data"] == data


safe_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda k: k not in PERSONAL_DATA_KEYS
)
trees = st.recursive(
    st.integers(0, 9) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(safe_keys, inner, max_size=3),
    max_leaves=10,
)


@given(trees, st.sampled_from(sorted(PERSONAL_DATA_KEYS)), st.integers(0, 6), st.data())
def test_a_personal_key_at_any_depth_is_found(
    tree: Any, key: str, depth: int, data: st.DataObject
) -> None:
    refuse_personal_data(tree)  # the safe tree passes
    nested: Any = {key: "x"}
    for _ in range(depth):
        wrapper = data.draw(st.sampled_from(["dict", "list"]))
        nested = {"k": nested, "t": tree} if wrapper == "dict" else [tree, nested]
    with pytest.raises(PersonalDataInEntry):
        refuse_personal_data({"data": nested})
