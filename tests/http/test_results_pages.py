"""Public results pages: no login, nothing personal, results only once published; the notice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE
from tests.http.test_ballot_pages import NAMES, seed_units
from tests.services.voting.ballot_helpers import ORIGIN, at, cast, draft, members, run_to_tallied
from voting import ballots, publication
from voting.models import Objection

VOTES = {
    "1-101": "agree",
    "1-102": "agree",
    "1-103": "agree",
    "2-102": "oppose",
    "2-S01": "abstain",
}


@pytest.fixture
def rt(runtime: Runtime, community: int) -> Runtime:
    seed_units(runtime)
    return runtime


def r(ref: str = "", tail: str = "") -> str:
    return f"/r/{COMMUNITY_CODE}/{ref}{'/' if ref else ''}{tail}"


def published(rt: Runtime, **kw: object) -> ballots.BallotInfo:
    info = draft(rt, code=COMMUNITY_CODE, **kw)
    run_to_tallied(rt, info, VOTES)
    return rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)


def assert_nothing_personal(page: str) -> None:
    for name in NAMES.values():
        assert name not in page
    assert "1381234" not in page and "o_" not in page


def test_drafts_are_not_public(rt: Runtime, client: FlaskClient) -> None:
    info = draft(rt, code=COMMUNITY_CODE)
    assert client.get(r(info.ref)).status_code == 404
    assert client.get(r()).status_code == 200
    assert info.ref not in client.get(r()).get_data(as_text=True)
    assert client.get(f"/r/nowhere/{info.ref}/").status_code == 404


def test_open_ballot_shows_no_results_yet(rt: Runtime, client: FlaskClient) -> None:
    info = draft(rt, code=COMMUNITY_CODE)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.opens_at)
    cast(rt, info.ref, "1-101", "agree", tracker="feedbeef00000001")
    page = client.get(r(info.ref)).get_data(as_text=True)
    assert "notice" in page and "mark-yes" not in page
    board = client.get(r(info.ref, "board")).get_data(as_text=True)
    assert "feedbeef00000001" not in board
    assert "1-101" not in client.get(r(info.ref, "participation")).get_data(as_text=True)
    assert client.get(r(info.ref, "notice.pdf")).status_code == 404


def test_published_results_page(rt: Runtime, client: FlaskClient) -> None:
    info = published(rt)
    page = client.get(r(info.ref)).get_data(as_text=True)
    assert info.notice_root in page and info.notice_key_id in page  # type: ignore[operator]
    assert str(info.notice_tree_size) in page
    assert "outcome-passed" in page
    assert "&gt;= 2/3" in page
    assert_nothing_personal(page)


def test_board_tracker_mode_and_participation(rt: Runtime, client: FlaskClient) -> None:
    info = published(rt)
    with rt.session_factory() as s:
        rows = publication.board(s, info.ref).rows
    page = client.get(r(info.ref, "board")).get_data(as_text=True)
    for row in rows:
        assert row.tracker in page  # type: ignore[operator]
    assert "1-101" not in page
    assert_nothing_personal(page)
    units = client.get(r(info.ref, "participation")).get_data(as_text=True)
    for code in ("1-101", "2-101", "1-102", "1-103", "2-102", "2-S01"):
        assert code in units
    assert "1-104" not in units
    assert_nothing_personal(units)


def test_board_named_mode_shows_units_not_names(rt: Runtime, client: FlaskClient) -> None:
    info = published(rt, disclosure="named")
    page = client.get(r(info.ref, "board")).get_data(as_text=True)
    assert (
        "1-101, 2-101" in page and "tracker" not in page.split("<table", 1)[1].split("</table>")[0]
    )
    assert_nothing_personal(page)


def test_objections_and_answers_are_public(rt: Runtime, client: FlaskClient) -> None:
    info = published(rt)
    member_id = members(rt, info.ref)[0].id
    with rt.session_factory.begin() as s:
        s.add(
            Objection(
                ballot_id=ballots.ballot_id_for_ref(s, info.ref),
                member_id=member_id,
                text="统计表有误",
                lodged_at=rt.clock.now(),
            )
        )
    with rt.session_factory() as s:
        (o,) = publication.list_objections(s, info.ref)
    rt.run(
        publication.answer_objection,
        ballot_ref=info.ref,
        objection_id=o.id,
        answer="已核实无误",
        is_upheld=False,
    )
    page = client.get(r(info.ref, "objections")).get_data(as_text=True)
    assert "统计表有误" in page and "已核实无误" in page
    assert_nothing_personal(page)


def test_notice_pdf_has_an_embedded_cjk_font(
    rt: Runtime, client: FlaskClient, tmp_path: Path
) -> None:
    info = published(rt)
    response = client.get(r(info.ref, "notice.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    assert shutil.which("pdffonts"), "pdffonts is missing: `make test` installs poppler-utils"
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    cjk = [
        line for line in rows if any(k in line for k in ("WenQuanYi", "Noto", "CJK", "Han", "Hei"))
    ]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # emb column
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert info.notice_root[:16] in text.replace("\n", "")  # type: ignore[index]
        assert "江滨花园" in text
