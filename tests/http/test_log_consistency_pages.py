"""The results page and the receipt check show the notice's checkpoint beside the latest one,
with the consistency proof between them verified by the server."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE
from tests.http.test_results_pages import published, r
from tests.http.test_results_pages import rt as rt
from tests.http.test_verify_pages import csrf
from tests.http.test_verify_pages import receipt as receipt
from tests.services.voting.ballot_helpers import at
from voting import ballots
from voting.models import Ballot
from voting.receipts import Receipt

VERIFIED = "Consistency proof verified"
BROKEN = "No consistency proof"


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


def grow(runtime: Runtime, count: int) -> None:
    """Append ``count`` entries and sign a checkpoint of the grown log."""

    def step(uow: object) -> None:
        for n in range(count):
            uow.log(COMMUNITY_CODE, "test.later", {"n": n})  # type: ignore[attr-defined]
        uow.checkpoint(COMMUNITY_CODE)  # type: ignore[attr-defined]

    runtime.run(step)


def sizes(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"(\d+) entries, root [0-9a-f]{16}", page)]


def test_the_results_page_proves_the_notice_in_the_latest_log(
    rt: Runtime,
    client: FlaskClient,
) -> None:
    info = published(rt)
    size = info.notice_tree_size
    assert size is not None
    page = client.get(r(info.ref)).get_data(as_text=True)
    assert VERIFIED in page and BROKEN not in page
    assert sizes(page) == [size, size]
    assert f"/log/{COMMUNITY_CODE}/checkpoint" in page
    grow(rt, 40)
    page = client.get(r(info.ref)).get_data(as_text=True)
    assert VERIFIED in page
    assert sizes(page) == [size, size + 40]
    assert f"root {info.notice_root[:16]}" in page  # type: ignore[index]


def test_a_notice_root_the_log_does_not_contain_is_shown_as_broken(
    rt: Runtime,
    client: FlaskClient,
) -> None:
    info = published(rt)
    grow(rt, 3)
    with rt.session_factory.begin() as s:
        s.execute(sa.update(Ballot).where(Ballot.ref == info.ref).values(notice_root="ab" * 32))
    page = client.get(r(info.ref)).get_data(as_text=True)
    assert BROKEN in page and VERIFIED not in page
    assert "Tell the owners' committee" in page


def test_the_receipt_check_shows_the_notice_against_the_latest(
    runtime: Runtime,
    client: FlaskClient,
    receipt: Receipt,
) -> None:
    post = {"csrf_token": csrf(client), "receipt": receipt.text}
    page = client.post("/verify", data=post).get_data(as_text=True)
    assert VERIFIED not in page  # not published: no notice yet
    with runtime.session_factory() as s:
        closes_at = s.scalars(sa.select(Ballot.closes_at).where(Ballot.ref == receipt.ballot)).one()
    at(runtime, closes_at)
    runtime.run(ballots.close_ballot, ballot_ref=receipt.ballot)
    runtime.run(ballots.tally_ballot, ballot_ref=receipt.ballot)
    info = runtime.run(ballots.publish_ballot, ballot_ref=receipt.ballot)
    grow(runtime, 5)
    page = client.post("/verify", data=post).get_data(as_text=True)
    assert "This receipt is genuine" in page
    assert VERIFIED in page
    assert sizes(page) == [info.notice_tree_size, info.notice_tree_size + 5]  # type: ignore[operator]


def test_the_chinese_page(rt: Runtime, client: FlaskClient) -> None:
    client.set_cookie("lang", "zh_Hans")
    info = published(rt)
    page = client.get(r(info.ref)).get_data(as_text=True)
    assert VERIFIED not in page and "一致性证明" in page
