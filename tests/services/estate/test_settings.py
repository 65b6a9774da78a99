"""Changing a community's voting settings: who may, what is allowed, what is recorded."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from estate.api import (
    InvalidSetting,
    NoSettingChanged,
    SettingChangeForbidden,
    change_settings,
    create_community,
    current_settings,
    settings_history,
)
from fundvote.runtime import Runtime
from notary import store

CODE = "SET01"
DOC = hashlib.sha256(b"transfer").hexdigest()


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    runtime.run(create_community, code=CODE, name="设置小区")
    return runtime


def change(rt: Runtime, *, rules: bool = True, holder: bool = False, **kw: Any) -> Any:
    kw.setdefault("basis", "管理规约第十二条")
    return rt.run(
        change_settings,
        community_code=CODE,
        actor=7,
        may_set_rules=rules,
        may_set_holder=holder,
        **kw,
    )


def entries(rt: Runtime) -> list[dict[str, Any]]:
    with rt.session_factory() as s:
        return [e.data for e in store.entries(s, CODE)]


def test_committee_changes_the_rules_and_the_change_is_logged_and_kept(rt: Runtime) -> None:
    done = change(rt, deemed_majority_enabled=True, binding_result="deemed", publicity_days=10)
    assert done.old == {
        "deemed_majority_enabled": False,
        "binding_result": "plain",
        "publicity_days": 7,
    }
    assert done.new == {
        "deemed_majority_enabled": True,
        "binding_result": "deemed",
        "publicity_days": 10,
    }
    now = rt.query(current_settings, CODE)
    assert (now.deemed_majority_enabled, now.binding_result, now.publicity_days) == (
        True,
        "deemed",
        10,
    )
    last = entries(rt)[-1]
    assert last["type"] == "estate.settings_changed"
    data = last["data"]
    assert data["by"] == 7 and data["kind"] == "rules"
    assert data["old"] == done.old and data["new"] == done.new
    assert data["basis_sha256"] == hashlib.sha256("管理规约第十二条".encode()).hexdigest()
    assert "管理规约" not in json.dumps(last, ensure_ascii=False)  # the text stays in the database
    (row,) = rt.query(settings_history, CODE)
    assert row.basis == "管理规约第十二条" and row.actor_id == 7 and row.log_index == done.log_index


def test_only_what_changed_is_recorded(rt: Runtime) -> None:
    done = change(rt, deemed_majority_enabled=False, publicity_days=9)
    assert done.old == {"publicity_days": 7} and done.new == {"publicity_days": 9}


def test_nothing_to_change_is_refused(rt: Runtime) -> None:
    with pytest.raises(NoSettingChanged):
        change(rt)
    with pytest.raises(NoSettingChanged):
        change(rt, publicity_days=7)
    assert rt.query(settings_history, CODE) == []


@pytest.mark.parametrize(
    ("kw", "what"),
    [
        ({"publicity_days": 0}, "days"),
        ({"publicity_days": 91}, "days"),
        ({"publicity_days": True}, "days"),
        ({"binding_result": "deemed"}, "deemed while off"),
        ({"binding_result": "majority"}, "unknown binding"),
        ({"deemed_majority_enabled": True, "basis": "  "}, "blank basis"),
        ({"deemed_majority_enabled": True, "basis": "x" * 501}, "long basis"),
        ({"deemed_majority_enabled": True, "basis": "a\x00b"}, "NUL"),
        ({"deemed_majority_enabled": True, "document_sha256": "abc"}, "bad hash"),
    ],
)
def test_bad_values_are_refused(rt: Runtime, kw: dict[str, Any], what: str) -> None:
    with pytest.raises(InvalidSetting):
        change(rt, **kw)
    assert rt.query(settings_history, CODE) == [], what


def test_turning_the_clause_off_makes_the_plain_result_bind(rt: Runtime) -> None:
    change(rt, deemed_majority_enabled=True, binding_result="deemed")
    done = change(rt, deemed_majority_enabled=False)
    assert done.new == {"deemed_majority_enabled": False, "binding_result": "plain"}
    with pytest.raises(InvalidSetting):
        change(rt, deemed_majority_enabled=False, binding_result="deemed")


def test_roles(rt: Runtime) -> None:
    with pytest.raises(SettingChangeForbidden):
        change(rt, rules=False, publicity_days=10)
    with pytest.raises(SettingChangeForbidden):  # the committee may not move the fund
        change(rt, fund_holder="assembly", document_sha256=DOC)
    with pytest.raises(SettingChangeForbidden):  # nor anyone both at once
        change(rt, rules=True, holder=True, publicity_days=10, fund_holder="assembly")
    done = change(rt, rules=False, holder=True, fund_holder="assembly", document_sha256=DOC.upper())
    assert done.kind == "fund_holder" and done.document_sha256 == DOC
    assert entries(rt)[-1]["data"]["document_sha256"] == DOC
    assert rt.query(current_settings, CODE).fund_holder == "assembly"


def test_fund_holder_needs_the_transfer_document(rt: Runtime) -> None:
    with pytest.raises(InvalidSetting):
        change(rt, rules=False, holder=True, fund_holder="assembly")
    with pytest.raises(InvalidSetting):
        change(rt, rules=False, holder=True, fund_holder="bank", document_sha256=DOC)


def test_history_is_newest_first(rt: Runtime) -> None:
    change(rt, publicity_days=8)
    rt.clock.advance(hours=1)
    change(rt, publicity_days=9, basis="业主大会2026年第2号决定")
    rows = rt.query(settings_history, CODE)
    assert [r.new for r in rows] == [{"publicity_days": 9}, {"publicity_days": 8}]
    assert rows[0].changed_at > rows[1].changed_at
