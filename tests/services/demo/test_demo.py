"""The demo community loads completely: register, staff, a finished and an open ballot."""

from __future__ import annotations

from sqlalchemy import func, select, text

from estate.models import Unit
from fundvote.demo import DEMO_STAFF, demo_exists, load_demo
from fundvote.demo.ballots import demo_owner_links
from fundvote.runtime import Runtime
from notary import store
from tests.conftest import LoadedDemo
from voting import ballots
from voting.models import Ballot, Vote


def test_demo_loads_register_staff_and_ballots(loaded_demo: LoadedDemo) -> None:
    """The demo as every worker loads it once (``tests/conftest.py``): only read here."""
    runtime, report = loaded_demo.runtime, loaded_demo.report
    assert report.loaded and report.units == 1296
    assert demo_exists(runtime)
    assert load_demo(runtime).loaded is False  # loading twice changes nothing

    with runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Unit)) == 1296
        developer = s.scalar(select(func.count()).where(Unit.is_developer_held.is_(True)))
        assert developer is not None and 0.02 < developer / 1296 < 0.05
        listed = ballots.list_ballots(s, "demo")
        assert sorted(b.status for b in listed) == ["final", "final", "open"]
        current = next(b for b in listed if b.status == "open")
        finished = next(b for b in listed if b.scope_codes == ("03",))
        assert finished.status == "final"
        fire = next(b for b in listed if b.scope_kind == "community")
        assert fire.status == "final"
        notice = s.get(Ballot, ballots.ballot_id_for_ref(s, finished.ref))
        assert notice is not None and notice.notice_tree_size is not None
        assert store.checkpoint_at(s, "demo", notice.notice_tree_size) is not None
        report_ = ballots.get_tally(s, finished.ref)
        assert report_ is not None and report_.questions[0].plain.passed
        cast_open = s.scalar(
            select(func.count()).where(Vote.ballot_id == ballots.ballot_id_for_ref(s, current.ref))
        )
        assert cast_open is not None and 0 < cast_open < current.roll_heads

    with runtime.session_factory() as s:
        kinds = dict(s.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
        shop_kinds = set(s.scalars(select(Unit.kind).where(Unit.code.like("S-%"))))
        parking_kinds = set(s.scalars(select(Unit.kind).where(Unit.code.like("P-%"))))
        entries = list(store.entries(s, "demo"))
    # Shops and parking spaces are their own kinds of unit, not flats.
    assert shop_kinds == {"shop"} and parking_kinds == {"parking"}
    assert kinds["parking"] == 60 and kinds["shop"] > 0 and kinds["flat"] > 1000
    # The log's times run forward: the community and roll come before the backdated ballots.
    times = [e.data["at"] for e in entries]
    assert times == sorted(times)
    assert entries[0].data["type"].startswith("estate.")

    links = demo_owner_links(runtime, "http://127.0.0.1:8000")
    assert len(links) == 5 and all(link.startswith("http://127.0.0.1:8000/v/") for link in links)
    assert {role for _u, role, _n, _p in DEMO_STAFF} == {
        "admin",
        "committee",
        "manager",
        "authority",
        "auditor",
    }
    _books_hold_the_story(runtime)


def _books_hold_the_story(runtime: Runtime) -> None:
    """Five years and more than a thousand entries; every kind of movement the story tells;
    the projects, their draws and the emergency as the story left them; the books exact."""
    from ledger import api as ledger

    with runtime.session_factory() as s:
        rows = s.execute(
            text(
                "SELECT kind, count(*), min(value_date), max(value_date)"
                " FROM journal_entry GROUP BY kind"
            )
        ).all()
    by_kind = {kind: n for kind, n, _lo, _hi in rows}
    assert sum(by_kind.values()) >= 1_000
    first = min(str(lo) for _k, _n, lo, _hi in rows)
    last = max(str(hi) for _k, _n, _lo, hi in rows)
    assert int(last[:4]) - int(first[:4]) >= 5
    assert by_kind["deposit"] == 1296 and by_kind["interest"] == 5
    assert by_kind["public_income"] >= 40 and by_kind["public_income_cost"] >= 20
    assert by_kind["project_funding"] == 3  # fire: subsidy, social capital; lift: subsidy
    assert by_kind["public_income_transfer"] == 5
    assert by_kind["draw"] == 5  # roof, three fire-safety stages, the lift's advance
    listed = runtime.query(ledger.balances, "demo")
    assert sum(b.balance_fen for b in listed) == 0
    assert {b.code: b.balance_fen for b in listed} == runtime.query(ledger.posted_balances, "demo")
    assert all(b.natural_balance_fen >= 0 for b in listed if b.code.startswith("2101."))
    projects = {p.title: p for p in runtime.query(ledger.list_projects, "demo")}
    assert set(projects) == {"7号楼屋面防水应急维修", "江滨花园消防设施改造", "3号楼电梯更换"}
    pending = runtime.query(ledger.pending_draws, ["demo"])
    assert [d.project_title for d in pending] == ["3号楼电梯更换"]
    assert runtime.query(ledger.unpublished_emergencies, ["demo"], runtime.clock.now()) == []
