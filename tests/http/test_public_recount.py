"""The public recount: a ``named`` board's files, downloaded from the app, recount to the
published figures with ``fundvote tally`` (deemed-majority rule on and off); ``tracker``
mode publishes no areas and no roll, and its page finds one's tracker."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from estate.settings import change_settings
from fundvote.cli import main
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE
from tests.http.test_ballot_pages import seed_units
from tests.services.voting.ballot_helpers import ORIGIN, at, cast, draft, plan, run_to_tallied
from voting import ballots, decisions, publication
from voting.api import QuestionDraft, TallyResult

# Members: o1 (1-101 + 2-101, 209.37 m²), o2+o3 (1-102), o4 (1-103), o5 (1-104), o6 (2-102)
# and the developer (2-S01): 6 heads, 782.79 m². Three members vote on question 1 (o1 and
# o2+o3 agree, o6 opposes): no quorum, but agree leads in heads and area, so under the
# deemed-majority rule the non-voters count as agreeing and the question passes. The
# developer answers question 2 only, o6 leaves it blank.
VOTES: dict[str, dict[str, str]] = {
    "1-101": {"1": "agree", "2": "oppose"},
    "1-102": {"1": "agree", "2": "abstain"},
    "2-102": {"1": "oppose"},
    "2-S01": {"2": "agree"},
}
QUESTIONS = [
    QuestionDraft("fund_use", "同意使用维修资金更换电梯?", plan()),
    QuestionDraft("other", "同意调整停车管理办法?", None),
]


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    return runtime


def _rules(rt: Runtime, *, deemed: bool) -> None:
    """The community's deemed-majority clause, set as the committee sets it (off by default)."""
    if deemed:
        rt.run(
            change_settings,
            community_code=COMMUNITY_CODE,
            actor=1,
            may_set_rules=True,
            may_set_holder=False,
            basis="管理规约第十二条：未参与表决的业主视为同意多数意见",
            deemed_majority_enabled=True,
        )


def _published(rt: Runtime, disclosure: str) -> ballots.BallotInfo:
    info = draft(rt, code=COMMUNITY_CODE, questions=QUESTIONS, disclosure=disclosure)
    run_to_tallied(rt, info, VOTES)
    return rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)


def _r(ref: str, tail: str) -> str:
    return f"/r/{COMMUNITY_CODE}/{ref}/{tail}"


def _download(client: FlaskClient, url: str, path: Path) -> Path:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    path.write_bytes(response.data)
    return path


def _figures(r: TallyResult) -> dict[str, Any]:
    def fig(f: Any) -> dict[str, object]:
        return {"heads": f.heads, "area": f"{f.area_centi // 100}.{f.area_centi % 100:02d}"}

    return {
        "roll": fig(r.roll),
        "participated": fig(r.participated),
        "agree": fig(r.agree),
        "oppose": fig(r.oppose),
        "abstain": fig(r.abstain),
        "quorum_met": r.quorum_met,
        "approved": r.approved,
        "passed": r.passed,
    }


@pytest.mark.parametrize("deemed", [False, True], ids=["plain", "deemed-majority"])
def test_named_board_files_recount_to_the_published_figures(
    rt: Runtime, client: FlaskClient, tmp_path: Path, deemed: bool
) -> None:
    _rules(rt, deemed=deemed)
    info = _published(rt, "named")
    assert info.deemed_majority_enabled is deemed
    report = rt.query(lambda uow: decisions.get_tally(uow.session, info.ref))
    assert report is not None
    roll = _download(client, _r(info.ref, "roll.csv"), tmp_path / "roll.csv")
    header = roll.read_text(encoding="utf-8").splitlines()[0]
    assert header == "unit,building,area,owners,developer"
    for q in report.questions:
        board = _download(
            client, _r(info.ref, f"board-q{q.position}.csv"), tmp_path / f"q{q.position}.csv"
        )
        lines = board.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "unit,choice"
        assert len(lines) - 1 == q.plain.participated.heads  # one row per member who answered
        args = ["tally", str(roll), str(board), "--matter", q.matter, "--json"]
        if deemed:
            args.append("--deemed-majority")
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        counted = json.loads(result.output)
        assert {k: counted[k] for k in _figures(q.plain)} == _figures(q.plain)
        if deemed:
            assert q.deemed_majority is not None
            published = _figures(q.deemed_majority)
            assert {k: counted["deemed_majority"][k] for k in published} == published
        else:
            assert q.deemed_majority is None and counted["deemed_majority"] is None
    first = report.questions[0]
    assert first.plain.passed is False
    assert first.deemed_majority is None or first.deemed_majority.passed is True


def test_named_files_hold_nothing_personal_and_the_weights(
    rt: Runtime, client: FlaskClient
) -> None:
    info = _published(rt, "named")
    roll = client.get(_r(info.ref, "roll.csv")).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(roll)))
    assert [r["unit"] for r in rows] == sorted(r["unit"] for r in rows)
    assert len(rows) == 7
    by_unit = {r["unit"]: r for r in rows}
    assert by_unit["1-101"]["owners"] == by_unit["2-101"]["owners"]  # one member
    assert by_unit["1-101"]["owners"] != by_unit["1-102"]["owners"]
    assert by_unit["2-S01"]["developer"] == "1" and by_unit["1-101"]["developer"] == ""
    assert by_unit["1-101"]["area"] == "89.37"
    for secret in ("o1", "o2", "张三明", "13812341234"):
        assert secret not in roll.replace("owners", "")
    document = client.get(_r(info.ref, "board.json")).get_json()
    assert document["mode"] == "named" and document["ballot"] == info.ref
    first = next(row for row in document["rows"] if row["units"] == ["1-101", "2-101"])
    assert first == {
        "tracker": None,
        "units": ["1-101", "2-101"],
        "choices": ["agree", "oppose"],
        "heads": 1,
        "area": "209.37",
    }
    assert all(isinstance(row["area"], str) for row in document["rows"])
    page = client.get(_r(info.ref, "board")).get_data(as_text=True)
    assert "209.37" in page and "roll.csv" in page and "board-q2.csv" in page
    assert "fundvote tally roll.csv board-q1.csv --matter fund_use" in page
    # the API twins serve the same files, without a token
    api = f"/api/v1/results/{COMMUNITY_CODE}/ballots/{info.ref}"
    assert client.get(f"{api}/board").get_json() == document
    assert client.get(f"{api}/roll").data == client.get(_r(info.ref, "roll.csv")).data
    assert client.get(f"{api}/board/q2").data == client.get(_r(info.ref, "board-q2.csv")).data
    assert client.get(f"{api}/board/q3").status_code == 404
    assert client.get(_r(info.ref, "board-q3.csv")).status_code == 404


def test_tracker_mode_publishes_no_areas_and_finds_ones_tracker(
    rt: Runtime, client: FlaskClient
) -> None:
    info = _published(rt, "tracker")
    for tail in ("roll.csv", "board-q1.csv"):
        assert client.get(_r(info.ref, tail)).status_code == 404
    api = f"/api/v1/results/{COMMUNITY_CODE}/ballots/{info.ref}"
    assert client.get(f"{api}/roll").status_code == 404
    assert client.get(f"{api}/roll").mimetype == "application/problem+json"
    document = client.get(_r(info.ref, "board.json")).get_json()
    assert all(row["area"] is None and row["units"] == [] for row in document["rows"])
    page = client.get(_r(info.ref, "board")).get_data(as_text=True)
    assert 'method="get"' in page and 'name="tracker"' in page
    assert "roll.csv" not in page and "recount by area is the auditor" in page
    with rt.session_factory() as s:
        rows = publication.board(s, info.ref).rows
    assert len(rows) == len(VOTES) and all(r.area_centi is None for r in rows)


def test_tracker_search(rt: Runtime, client: FlaskClient) -> None:
    info = draft(rt, code=COMMUNITY_CODE)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.opens_at)
    cast(rt, info.ref, "1-101", "agree", tracker="7K3M-0Q2P-ABCD-EFGH-1JKM")
    at(rt, info.closes_at)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    assert client.get(_r(info.ref, "board"), query_string={"tracker": "x"}).status_code == 200
    rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)
    found = client.get(_r(info.ref, "board"), query_string={"tracker": "7k3mOq2pabcdefghijkm"})
    assert found.status_code == 200
    assert 'class="found"' in found.get_data(as_text=True)
    assert "verify-ok" in found.get_data(as_text=True)
    missing = client.get(_r(info.ref, "board"), query_string={"tracker": "7K3M0Q2PABCDEFGH1JKN"})
    assert missing.status_code == 200 and "verify-ok" not in missing.get_data(as_text=True)
    bad = client.get(_r(info.ref, "board"), query_string={"tracker": "nope"})
    assert bad.status_code == 422 and "20 letters and digits" in bad.get_data(as_text=True)
    assert client.get(_r(info.ref, "board"), query_string={"tracker": "\x00"}).status_code in (
        400,
        422,
    )


def test_recount_operations_are_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    prefix = "/api/v1/results/{code}/ballots/{ref}"
    assert set(spec["paths"][f"{prefix}/board"]["get"]["responses"]["200"]["content"]) == {
        "application/json"
    }
    for tail in ("/roll", "/board/q{position}"):
        operation = spec["paths"][prefix + tail]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"text/csv"}
        assert set(operation["responses"]["404"]["content"]) == {"application/problem+json"}
        assert operation["security"] == []
