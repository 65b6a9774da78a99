"""The committee's ballot pages: forms, steps, turnout bars, the count, objections; roles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from estate.roll import RollRow
from estate.services import import_roll
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, csrf_token
from tests.services.voting.ballot_helpers import ROWS, at, cast, draft
from voting import ballots
from voting.models import Objection

NAMES = {"o1": "张三明", "o2": "李四", "o3": "王五", "o4": "赵六", "o5": "钱七", "o6": "孙八"}


def seed_units(rt: Runtime) -> None:
    rows = [
        RollRow(
            line=i + 2,
            unit=u,
            building=b,
            area_centi=a,
            owner_keys=o,
            is_developer_held=d,
            owner_names=tuple(NAMES[k] for k in o) if o else None,
            owner_phones=tuple("13812341234" for _ in o) if o else None,
        )
        for i, (u, b, a, o, d) in enumerate(ROWS)
    ]
    rt.run(import_roll, community_code=COMMUNITY_CODE, rows=rows, cipher=rt.cipher, source_name="t")


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    return runtime


def post(client: FlaskClient, url: str, data: dict[str, object] | None = None, **kw: object):  # type: ignore[no-untyped-def]
    body = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(url, data=body, **kw)


def base(ref: str = "") -> str:
    return f"/c/{COMMUNITY_CODE}/ballots/{ref}"


FORM = {
    "title": "三号楼电梯更新",
    "description": "更换电梯主机",
    "opens_at": "2026-11-02T08:00",
    "closes_at": "2026-11-09T20:00",
    "publicity_days": "7",
    "scope_kind": "buildings",
    "buildings": ["1"],
    "disclosure": "tracker",
    "identity_check": "none",
    "slots": "2",
    "q1_matter": "fund_use",
    "q1_text": "同意使用维修资金更换电梯吗？",
    "q1_repair": "更换电梯主机",
    "q1_budget": "12,345.67",
    "q1_src_subsidy": "2345.6",
    "q1_src_maintenance_fund": "10000.07",
}


def test_create_from_the_form_converts_yuan_exactly(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    assert client.get(base()).status_code == 200
    page = client.get(base("new")).get_data(as_text=True)
    assert 'name="q1_matter"' in page and 'type="datetime-local"' in page
    response = post(client, base("new"), FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    ref = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    with rt.session_factory() as s:
        info = ballots.get_ballot(s, ref)
    plan = info.questions[0].use_plan
    assert plan is not None and plan.budget_fen == 1_234_567
    assert plan.sources["subsidy"] == 234_560 and plan.sources["maintenance_fund"] == 1_000_007
    assert info.scope_codes == ("1",)
    # 08:00 Beijing time is 00:00 UTC
    assert info.opens_at.hour == 0 and info.opens_at.utcoffset() == timedelta(0)
    detail = client.get(base(ref)).get_data(as_text=True)
    assert "三号楼电梯更新" in detail and "12,345.67" in detail
    assert f"/c/{COMMUNITY_CODE}/ballots/{ref}/confirm/open" in detail


def test_form_reads_full_width_thousands_separators(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    response = post(client, base("new"), dict(FORM, q1_budget=" 12，345.67 "))
    assert response.status_code == 302, response.get_data(as_text=True)
    ref = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    with rt.session_factory() as s:
        plan = ballots.get_ballot(s, ref).questions[0].use_plan
    assert plan is not None and plan.budget_fen == 1_234_567


def test_form_errors_come_back_with_the_input(
    rt: Runtime, client: FlaskClient, login: Login
) -> None:
    login("committee")
    bad = dict(FORM, q1_src_maintenance_fund="10000.00")  # does not add up
    response = post(client, base("new"), bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "notice-error" in page and "三号楼电梯更新" in page
    response = post(client, base("new"), dict(FORM, q1_budget="12.345"))
    assert response.status_code == 422
    # Thousands separators must group three digits: "12,34,567" or "1,23" is refused, not
    # read as 1234567 or 123 yuan; a negative amount is refused.
    for budget in ("12,34,567", "123,45.67", "1,23", "-12345.67"):
        response = post(client, base("new"), dict(FORM, q1_budget=budget))
        assert response.status_code == 422, budget
    response = post(client, base("new"), dict(FORM, scope_kind="buildings", q1_matter="rules"))
    assert response.status_code == 422  # a narrow scope for a whole-community matter
    more = post(client, base("new"), dict(FORM, more="1"))
    assert more.status_code == 200 and 'name="q4_matter"' in more.get_data(as_text=True)


def test_edit_a_draft_and_attach_documents(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("committee")
    info = draft(rt, code=COMMUNITY_CODE)
    page = client.get(base(f"{info.ref}/edit")).get_data(as_text=True)
    assert "10000.00" in page  # the budget shown in yuan
    response = post(
        client, base(f"{info.ref}/edit"), dict(FORM, title="新标题", scope_kind="community")
    )
    assert response.status_code == 302
    from io import BytesIO

    response = post(
        client,
        base(f"{info.ref}/documents"),
        {"file": (BytesIO(b"%PDF-1.4 plan"), "方案.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with rt.session_factory() as s:
        got = ballots.get_ballot(s, info.ref)
    assert got.title == "新标题" and got.attachments[0].filename == "方案.pdf"
    download = client.get(base(f"{info.ref}/documents/{got.attachments[0].id}"))
    assert download.status_code == 200 and download.data == b"%PDF-1.4 plan"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_whole_journey(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("committee")
    info = draft(rt, code=COMMUNITY_CODE)
    ref = info.ref
    assert post(client, base(f"{ref}/steps/open"), {"confirmed": "1"}).status_code == 302
    detail = client.get(base(ref)).get_data(as_text=True)
    assert "notice-ok" in detail or "roll" in detail.lower()
    at(rt, info.opens_at)
    cast(rt, ref, "1-101", "agree")
    cast(rt, ref, "1-103", "agree")
    cast(rt, ref, "2-102", "oppose")
    page = client.get(base(f"{ref}/turnout")).get_data(as_text=True)
    assert re.search(r'class="fill pct-\d+"', page)
    assert "3" in page
    # closing early is refused with a message
    post(client, base(f"{ref}/steps/close"))
    assert "notice-error" in client.get(base(ref)).get_data(as_text=True)
    at(rt, info.closes_at)
    assert post(client, base(f"{ref}/steps/close")).status_code == 302
    response = post(client, base(f"{ref}/steps/tally"))
    assert response.headers["Location"].endswith(f"{ref}/tally")
    tally = client.get(base(f"{ref}/tally")).get_data(as_text=True)
    assert "&gt;= 2/3" in tally and "&gt; 1/2" in tally
    assert "mark-no" in tally  # quorum not met: 3 of 6 heads
    assert post(client, base(f"{ref}/steps/publish"), {"confirmed": "1"}).status_code == 302
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, ref).status == "published"
        bid = ballots.ballot_id_for_ref(s, ref)
    from tests.services.voting.ballot_helpers import members

    member_id = members(rt, ref)[0].id
    with rt.session_factory.begin() as s:
        s.add(
            Objection(
                ballot_id=bid, member_id=member_id, text="我家没收到选票", lodged_at=rt.clock.now()
            )
        )
    page = client.get(base(f"{ref}/objections")).get_data(as_text=True)
    assert "我家没收到选票" in page and 'name="upheld"' in page
    oid = re.search(r"/objections/(\d+)/answer", page).group(1)  # type: ignore[union-attr]
    assert (
        post(
            client, base(f"{ref}/objections/{oid}/answer"), {"answer": "属实", "upheld": "yes"}
        ).status_code
        == 302
    )
    page = client.get(base(f"{ref}/objections")).get_data(as_text=True)
    assert "属实" in page and "steps/annul" in page
    assert post(client, base(f"{ref}/steps/annul"), {"reason": "漏发选票"}).status_code == 302
    with rt.session_factory() as s:
        assert ballots.get_ballot(s, ref).status == "annulled"


@pytest.mark.parametrize("role", ["manager", "authority", "auditor"])
def test_readers_see_but_cannot_act(
    rt: Runtime, client: FlaskClient, login: Login, role: str
) -> None:
    login(role)
    info = draft(rt, code=COMMUNITY_CODE)
    assert client.get(base()).status_code == 200
    page = client.get(base(info.ref)).get_data(as_text=True)
    assert "steps/open" not in page and "confirm/open" not in page and "三号楼" in page
    assert client.get(base(f"{info.ref}/confirm/open")).status_code == 403
    assert client.get(base("new")).status_code == 403
    assert post(client, base(f"{info.ref}/steps/open")).status_code == 403
    assert client.get(base(f"{info.ref}/turnout")).status_code == 200


def test_unknown_ballot_and_other_community(rt: Runtime, client: FlaskClient, login: Login) -> None:
    from tests.http.conftest import make_community

    login("committee")
    assert client.get(base("bnope")).status_code == 404
    make_community(rt, code="other", name="别的小区")
    from tests.services.voting.ballot_helpers import make_register

    _ = make_register  # the other community has no units; a ref from it is not ours
    other = None
    with rt.session_factory() as s:
        other = s  # noqa: F841
    info = draft(rt, code=COMMUNITY_CODE)
    assert client.get(f"/c/other/ballots/{info.ref}").status_code in (403, 404)


def test_steps_need_csrf(rt: Runtime, client: FlaskClient, login: Login) -> None:
    login("committee")
    info = draft(rt, code=COMMUNITY_CODE)
    assert client.post(base(f"{info.ref}/steps/open")).status_code == 400
