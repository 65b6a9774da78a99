"""Live turnout: heads and area against the 2/3 lines, overall and per building."""

from __future__ import annotations

import pytest

from fundvote.runtime import Runtime
from voting import ballots
from voting.tally import Figure
from voting.turnout import TurnoutLine, turnout

from .ballot_helpers import at, cast, draft, make_register


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    make_register(runtime)
    return runtime


def test_turnout_before_opening_is_empty(rt: Runtime) -> None:
    info = draft(rt)
    with rt.session_factory() as s:
        t = turnout(s, info.ref)
    assert t.overall.roll == Figure(0, 0) and t.buildings == () and not t.overall.quorum_met


def test_turnout_overall_and_per_building(rt: Runtime) -> None:
    info = draft(rt)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.opens_at)
    cast(rt, info.ref, "1-101", "agree")  # o1: 1-101 (bldg 1) and 2-101 (bldg 2)
    cast(rt, info.ref, "2-102", "abstain")
    with rt.session_factory() as s:
        t = turnout(s, info.ref)
    assert t.cast == 2
    assert t.overall.roll == Figure(6, 78279)
    assert t.overall.participated == Figure(2, 8937 + 12000 + 6400)
    assert not t.overall.heads_met and not t.overall.area_met
    assert t.overall.heads_needed == 2  # 4 of 6 heads make 2/3
    b1, b2 = t.buildings
    assert (b1.label, b1.roll, b1.participated) == ("1", Figure(4, 39879), Figure(1, 8937))
    assert (b2.label, b2.roll, b2.participated) == ("2", Figure(3, 38400), Figure(2, 18400))
    assert b2.heads_met and not b2.area_met
    assert t.line_permille == 666


def test_exact_two_thirds_line() -> None:
    line = TurnoutLine("", Figure(3, 300), Figure(2, 200))
    assert line.heads_met and line.area_met and line.quorum_met
    assert line.heads_permille == 666 and line.heads_needed == 0 and line.area_needed_centi == 0
    short = TurnoutLine("", Figure(3, 300), Figure(1, 199))
    assert not short.area_met and short.area_needed_centi == 1 and short.heads_needed == 1


def _stored_buildings(rt: Runtime, ref: str) -> str | None:
    import sqlalchemy as sa

    from voting.models import Ballot

    with rt.session_factory() as s:
        return s.scalar(sa.select(Ballot.roll_by_building).where(Ballot.ref == ref))


def test_roll_per_building_is_stored_at_opening_and_backfilled(rt: Runtime) -> None:
    import json

    from alembic import command

    from fundvote.schema import alembic_config

    info = draft(rt)
    assert _stored_buildings(rt, info.ref) is None
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    stored = _stored_buildings(rt, info.ref)
    # Building 1: four flats of three members (o2+o3 share one); building 2: o1, o6 and the
    # developer's shop.
    assert json.loads(stored or "{}") == {
        "1": [4, 8937 + 8937 + 10000 + 12005],
        "2": [3, 32000 + 6400],
    }
    cfg = alembic_config(rt.settings.database_url)
    command.downgrade(cfg, "0003")
    try:
        command.upgrade(cfg, "head")
    finally:
        command.upgrade(cfg, "head")
    assert _stored_buildings(rt, info.ref) == stored
