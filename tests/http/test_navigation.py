"""People can reach what they need from the pages they land on, without typing addresses."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.http.conftest import Login


def test_the_public_home_leads_to_results_and_the_receipt_check(
    client: FlaskClient, community: int
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/r/demo/"' in page
    assert 'href="/verify"' in page


def test_staff_reach_the_ballots_from_home_and_the_register(
    client: FlaskClient, login: Login
) -> None:
    login("committee")
    assert 'href="/c/demo/ballots/"' in client.get("/").get_data(as_text=True)
    assert 'href="/c/demo/ballots/"' in client.get("/c/demo/").get_data(as_text=True)
