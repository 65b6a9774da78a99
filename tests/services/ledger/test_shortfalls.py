"""Shortfalls owed by owners and their payment (DOMAIN.md section 4.5), on both databases: a
draw leaves some units owing; what an owner pays settles the contractor payable for them,
never more than they owe."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fundvote.runtime import Runtime
from ledger.api import (
    FundOperationForbidden,
    IdempotencyConflict,
    InvalidEntry,
    ShortfallNotOwed,
    UnitNotInBooks,
    balances,
    get_entry,
    owed_shortfalls,
    posted_balances,
    settle_shortfall,
)
from notary import store
from tests.services.ledger.project_helpers import AREAS, AUTHORITY, draw_leaving_shortfalls
from tests.services.voting.ballot_helpers import CODE

DAY = date(2026, 3, 1)


@pytest.fixture
def owing(runtime: Runtime) -> dict[str, int]:
    return draw_leaving_shortfalls(runtime)


def _settle(rt: Runtime, unit: str, fen: int, **kw: Any) -> Any:
    kw.setdefault("may_record", True)
    kw.setdefault("bank_reference", f"PAY-{unit}-{fen}")
    return rt.run_as(
        AUTHORITY,
        settle_shortfall,
        community_code=CODE,
        unit_code=unit,
        amount_fen=fen,
        value_date=DAY,
        **kw,
    )


def _balance(rt: Runtime, code: str) -> int:
    return {b.code: b.balance_fen for b in rt.query(balances, CODE)}[code]


def _owed(rt: Runtime) -> dict[str, int]:
    return {o.unit_code: o.owed_fen for o in rt.query(owed_shortfalls, CODE)}


def _entries(rt: Runtime) -> int:
    with rt.session_factory() as s:
        return store.tree_size(s, CODE)


def test_the_owing_units_are_listed_in_unit_order(runtime: Runtime, owing: dict[str, int]) -> None:
    assert owing  # the scene has owners who owe
    listed = runtime.query(owed_shortfalls, CODE)
    assert [o.unit_code for o in listed] == sorted(owing)
    assert _owed(runtime) == owing
    assert _balance(runtime, "2201") == -sum(owing.values())


def test_a_payment_settles_the_payable_for_the_owner(
    runtime: Runtime, owing: dict[str, int]
) -> None:
    unit, owed = next(iter(owing.items()))
    bank_before = _balance(runtime, "1001")
    entry = _settle(runtime, unit, owed - 100, memo="owner paid at the office")
    assert entry.kind == "shortfall_settlement"
    assert {(line.account, line.amount_fen) for line in entry.lines} == {
        ("2201", owed - 100),
        (f"1202.{unit}", -(owed - 100)),
    }
    assert entry.documents == {"bank_reference": f"PAY-{unit}-{owed - 100}"}
    assert _owed(runtime)[unit] == 100
    assert _balance(runtime, "2201") == -(sum(owing.values()) - (owed - 100))
    assert _balance(runtime, "1001") == bank_before  # in from the owner, out to the contractor
    with runtime.session_factory() as s:
        last = list(store.entries(s, CODE))[-1].data
    assert last["type"] == "ledger.entry_posted"
    assert last["data"]["kind"] == "shortfall_settlement"

    _settle(runtime, unit, 100)
    assert unit not in _owed(runtime)
    running = {b.code: b.balance_fen for b in runtime.query(balances, CODE)}
    assert running == runtime.query(posted_balances, CODE) and sum(running.values()) == 0


def test_never_more_than_is_owed(runtime: Runtime, owing: dict[str, int]) -> None:
    unit, owed = next(iter(owing.items()))
    clear = next(u for u in sorted(AREAS) if u not in owing)
    size = _entries(runtime)
    with pytest.raises(ShortfallNotOwed) as raised:
        _settle(runtime, unit, owed + 1)
    assert raised.value.params == {"unit": unit, "owed": owed, "amount": owed + 1}
    with pytest.raises(ShortfallNotOwed):
        _settle(runtime, clear, 1)  # owes nothing: it has no receivable at all
    assert _entries(runtime) == size and _owed(runtime) == owing


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"may_record": False}, FundOperationForbidden),
        ({"unit_code": "9-999"}, UnitNotInBooks),
        ({"amount_fen": 0}, InvalidEntry),
        ({"amount_fen": True}, InvalidEntry),
        ({"bank_reference": ""}, InvalidEntry),
        ({"bank_reference": "no spaces allowed"}, InvalidEntry),
    ],
)
def test_refusals_are_named_and_write_nothing(
    runtime: Runtime, owing: dict[str, int], fields: dict[str, Any], error: type[Exception]
) -> None:
    unit, owed = next(iter(owing.items()))
    args: dict[str, Any] = {"unit_code": unit, "amount_fen": owed, **fields}
    size = _entries(runtime)
    with pytest.raises(error):
        _settle(runtime, args.pop("unit_code"), args.pop("amount_fen"), **args)
    assert _entries(runtime) == size and _owed(runtime) == owing


def test_a_retry_with_the_same_key_posts_once(runtime: Runtime, owing: dict[str, int]) -> None:
    unit, owed = next(iter(owing.items()))
    first = _settle(runtime, unit, owed, idempotency_key="pay-1")
    again = _settle(runtime, unit, owed, idempotency_key="pay-1")
    assert again.is_replay and again.number == first.number
    assert unit not in _owed(runtime)
    assert runtime.query(get_entry, CODE, first.number).kind == "shortfall_settlement"
    other, other_owed = list(owing.items())[-1]
    with pytest.raises(IdempotencyConflict):
        _settle(runtime, other, other_owed, idempotency_key="pay-1")
