"""The step guide on a ballot's page and the confirmation of open, publish and cancel."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from fundvote.web.step_guide import STEP_KEYS, GuideFacts, step_guide
from tests.http.conftest import COMMUNITY_CODE, Login
from tests.http.test_ballot_pages import base, post, seed_units
from tests.services.voting.ballot_helpers import at, cast, draft
from voting import ballots
from voting.api import BallotInfo


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    return runtime


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


def marks(info: BallotInfo, now: object, **facts: int) -> dict[str, str]:
    return {s.key: s.mark for s in step_guide(info, GuideFacts(**facts), now)}  # type: ignore[arg-type]


def test_guide_follows_the_ballot_from_draft_to_final(rt: Runtime) -> None:
    info = draft(rt, code=COMMUNITY_CODE)
    before = info.opens_at - timedelta(hours=1)
    got = marks(info, before)
    assert list(got) == list(STEP_KEYS)
    assert got["draft"] == "done" and got["documents"] == "next" and got["open"] == "todo"

    attached = dataclasses.replace(info, attachments=(object(),))  # type: ignore[arg-type]
    got = marks(attached, before)
    assert got["documents"] == "done" and got["open"] == "next"

    opened = dataclasses.replace(info, status="open")
    got = marks(opened, before)
    assert got["open"] == "done" and got["documents"] == "skipped" and got["links"] == "next"
    got = marks(opened, info.opens_at, links_issued=6)
    assert got["links"] == "done" and got["turnout"] == "next" and got["close"] == "todo"
    got = marks(opened, info.closes_at, links_issued=6, paper_to_resolve=1)
    assert got["turnout"] == "done" and got["paper"] == "next"
    got = marks(opened, info.closes_at, links_issued=6)
    assert got["paper"] == "skipped" and got["close"] == "next"
    got = marks(opened, info.closes_at)  # no link was ever issued: paper-only ballot
    assert got["links"] == "skipped" and got["close"] == "next"

    closed = dataclasses.replace(info, status="closed")
    assert marks(closed, info.closes_at, links_issued=6)["tally"] == "next"
    assert marks(closed, info.closes_at, links_issued=6, paper_to_resolve=2)["paper"] == "next"
    assert marks(dataclasses.replace(info, status="tallied"), info.closes_at)["publish"] == "next"
    got = marks(dataclasses.replace(info, status="published"), info.closes_at, links_issued=1)
    assert got["publish"] == "done" and got["final"] == "next"
    got = marks(dataclasses.replace(info, status="final"), info.closes_at, links_issued=1)
    assert "next" not in got.values() and got["final"] == "done"


def test_guide_of_stopped_ballots(rt: Runtime) -> None:
    info = draft(rt, code=COMMUNITY_CODE)
    got = marks(dataclasses.replace(info, status="cancelled"), info.opens_at)
    assert "next" not in got.values()
    assert got["open"] == "stopped" and got["final"] == "stopped" and got["draft"] == "done"
    opened_then_cancelled = dataclasses.replace(info, status="cancelled", opened_at=info.opens_at)
    got = marks(opened_then_cancelled, info.opens_at, links_issued=3)
    assert got["open"] == "done" and got["links"] == "stopped"
    got = marks(dataclasses.replace(info, status="annulled"), info.closes_at, links_issued=3)
    assert got["publish"] == "done" and got["final"] == "stopped"


@pytest.mark.parametrize("status", ["draft", "open", "closed", "tallied", "published"])
def test_exactly_one_next_step_while_the_ballot_can_move(rt: Runtime, status: str) -> None:
    info = dataclasses.replace(draft(rt, code=COMMUNITY_CODE), status=status)
    for now in (info.opens_at - timedelta(days=1), info.opens_at, info.closes_at):
        for facts in ({}, {"links_issued": 2}, {"links_issued": 2, "paper_to_resolve": 1}):
            got = list(marks(info, now, **facts).values())
            assert got.count("next") == 1, (status, now, facts)
            first = got.index("next")
            assert all(m in ("done", "skipped") for m in got[:first])
            after = dict(list(marks(info, now, **facts).items())[first + 1 :])
            if status == "closed" and "paper_to_resolve" in facts:
                assert after.pop("close") == "done"  # closed, paper entries still to resolve
            assert set(after.values()) <= {"todo"}


def next_step(page: str) -> str:
    match = re.search(r'aria-current="step" data-step="([a-z]+)"', page)
    assert match, "no next step marked"
    return match.group(1)


def test_page_shows_the_guide_and_open_asks_for_confirmation(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    info = draft(rt, code=COMMUNITY_CODE)
    ref = info.ref
    page = client.get(base(ref)).get_data(as_text=True)
    assert next_step(page) == "documents"
    assert page.count("guide-done") == 1  # the draft

    # Without confirmation, the step only leads to the confirmation page.
    response = post(client, base(f"{ref}/steps/open"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/ballots/{ref}/confirm/open")
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, ref).status == "draft"
    confirm = client.get(base(f"{ref}/confirm/open"))
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert 'name="confirmed" value="1"' in text and "roll is frozen" in text
    assert "No documents" not in text and "Owners will have nothing to read" in text

    response = post(client, base(f"{ref}/steps/open"), {"confirmed": "1"})
    assert response.status_code == 302
    page = client.get(base(ref)).get_data(as_text=True)
    assert next_step(page) == "links" and "Issue the owners' personal links now" in page
    # Confirmation pages exist only for a step the ballot can take now.
    again = client.get(base(f"{ref}/confirm/open"))
    assert again.status_code == 302
    assert client.get(base(f"{ref}/confirm/close")).status_code == 404

    at(rt, info.opens_at)
    cast(rt, ref, "1-101", "agree")
    cancel = client.get(base(f"{ref}/confirm/cancel")).get_data(as_text=True)
    assert "1 ballot has been cast" in cancel and 'name="reason"' in cancel
    at(rt, info.closes_at)
    page = client.get(base(ref)).get_data(as_text=True)
    assert next_step(page) == "close"
    assert post(client, base(f"{ref}/steps/close")).status_code == 302
    assert post(client, base(f"{ref}/steps/tally")).status_code == 302
    assert next_step(client.get(base(ref)).get_data(as_text=True)) == "publish"
    tally = client.get(base(f"{ref}/tally")).get_data(as_text=True)
    assert f"/ballots/{ref}/confirm/publish" in tally and "steps/publish" not in tally
    assert post(client, base(f"{ref}/steps/publish")).status_code == 303
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, ref).status == "tallied"
    assert "publicity period" in client.get(base(f"{ref}/confirm/publish")).get_data(as_text=True)
    assert post(client, base(f"{ref}/steps/publish"), {"confirmed": "1"}).status_code == 302
    assert next_step(client.get(base(ref)).get_data(as_text=True)) == "final"


def test_cancel_needs_confirmation_and_keeps_the_reason(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    ref = draft(rt, code=COMMUNITY_CODE).ref
    assert post(client, base(f"{ref}/steps/cancel"), {"reason": "重复"}).status_code == 303
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, ref).status == "draft"
    response = post(client, base(f"{ref}/steps/cancel"), {"reason": "重复", "confirmed": "1"})
    assert response.status_code == 302
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, ref).status == "cancelled"
    page = client.get(base(ref)).get_data(as_text=True)
    assert 'aria-current="step"' not in page and "guide-stopped" in page


def test_manager_sees_no_tab_or_step_link_that_answers_403(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    info = draft(rt, code=COMMUNITY_CODE)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    login("manager")
    page = client.get(base(info.ref)).get_data(as_text=True)
    hrefs = set(re.findall(r'href="(/c/[^"]+)"', page))
    assert hrefs, "no links on the page"
    for href in sorted(hrefs):
        assert client.get(href).status_code == 200, href
    assert "/links" not in page and "/paper" not in page and "/proxies" not in page
    client.set_cookie("lang", "en")
    login("committee")
    page = client.get(base(info.ref)).get_data(as_text=True)
    assert f"/ballots/{info.ref}/links" in page and f"/ballots/{info.ref}/paper" in page


def test_draft_form_shows_every_problem_at_its_field_at_once(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    from tests.http.test_ballot_pages import FORM

    login("committee")
    bad = dict(
        FORM,
        title=" ",
        closes_at="2026-11-01T08:00",  # before it opens
        publicity_days="七",
        q1_budget="12.345",
        q1_src_subsidy="-1",
        q1_repair="",
        q2_matter="",
        q2_text="无事项的问题",
    )
    response = post(client, base("new"), bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    fields = ("title", "closes_at", "publicity_days", "q1_repair", "q1_budget", "q1_src_subsidy")
    for name in (*fields, "q2_matter"):
        assert f'id="{name}-error"' in page, name
        assert f'aria-describedby="{name}-error"' in page, name
        assert f'href="#{name}"' in page, name
    assert "Correct 7 problems" in page
    assert "无事项的问题" in page  # the input comes back as typed
    # The sources must add up: reported at the budget once every amount reads.
    response = post(client, base("new"), dict(FORM, q1_src_maintenance_fund="1.00"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="q1_budget-error"' in page
    assert "add up to the budget" in page
    assert post(client, base("new"), FORM).status_code == 302


def test_favicon_is_served_and_linked(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.data.startswith(b"<svg")
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["Location"].endswith("/static/favicon.svg")


def test_one_building_label_and_one_source_order_everywhere(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    from tests.http.test_ballot_pages import FORM
    from tests.services.voting.owner_helpers import issue_all

    login("committee")
    plan = dict(
        FORM,
        q1_budget="300",
        q1_src_social_capital="100",
        q1_src_maintenance_fund="100",
        q1_src_subsidy="100",
        buildings=["1", "2"],
    )
    response = post(client, base("new"), plan)
    ref = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    rt.run(ballots.open_ballot, ballot_ref=ref)
    label = "Building 1"  # the test buildings have no names
    pages = {
        "form": client.get(base("new")).get_data(as_text=True),
        "units": client.get(f"/c/{COMMUNITY_CODE}/units").get_data(as_text=True),
        "overview": client.get(f"/c/{COMMUNITY_CODE}/").get_data(as_text=True),
        "ballot": client.get(base(ref)).get_data(as_text=True),
        "ballots": client.get(base()).get_data(as_text=True),
        "turnout": client.get(base(f"{ref}/turnout")).get_data(as_text=True),
    }
    for name, page in pages.items():
        assert label in page, name
    order = ("Government subsidy", "Maintenance fund", "Social capital")
    link = issue_all(rt, ref).links[0].url.rsplit("/v/", 1)[1]
    with rt.session_factory() as s:
        at(rt, ballots.get_ballot(s, ref).opens_at)
    owner = client.get(f"/v/{link}").get_data(as_text=True)
    for name, page in (("ballot", pages["ballot"]), ("owner", owner)):
        spots = [page.find(text) for text in order]
        assert -1 not in spots and spots == sorted(spots), (name, spots)


def test_results_as_csv_and_xlsx_for_the_committee(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    import csv
    import io

    import openpyxl

    from tests.services.voting.ballot_helpers import run_to_tallied

    info = draft(rt, code=COMMUNITY_CODE)
    assert client.get(base(f"{info.ref}/results.csv")).status_code == 302  # not logged in
    login("manager")
    assert client.get(base(f"{info.ref}/results.csv")).status_code == 404  # not counted yet
    run_to_tallied(rt, info, {"1-101": "agree", "1-103": "oppose", "2-102": "abstain"})
    client.set_cookie("lang", "zh_Hans")
    tally = client.get(base(f"{info.ref}/tally")).get_data(as_text=True)
    assert f"/ballots/{info.ref}/results.xlsx" in tally

    text = client.get(base(f"{info.ref}/results.csv")).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "问题" and "同意：面积（m²）" in rows[0]
    agree_area = rows[0].index("同意：面积（m²）")
    # 1-101 is one member with 2-101: 89.37 + 120.00 m²
    assert rows[1][agree_area] == "209.37" and rows[1][rows[0].index("同意：人数")] == "1"

    response = client.get(base(f"{info.ref}/results.xlsx"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    try:
        sheet = book.active
        assert sheet is not None
        cells = list(sheet.iter_rows())
        assert [c.value for c in cells[0]] == rows[0]
        area, heads = cells[1][agree_area], cells[1][agree_area - 1]
        assert area.data_type == "n" and area.number_format == "0.00"
        assert str(area.value) == "209.37"
        assert heads.data_type == "n" and heads.number_format == "0" and heads.value == 1
        assert cells[1][2].data_type == "s"  # the question text stays text
    finally:
        book.close()
