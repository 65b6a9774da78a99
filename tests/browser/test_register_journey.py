"""A committee member signs in on a phone and finds a unit of the demo community."""

from __future__ import annotations

import pytest

from estate.services import create_community, import_roll_file
from fundvote.auth import add_user
from fundvote.demo.roll import DEMO_BUILDING_NAMES, demo_roll_csv
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_committee_signs_in_and_finds_a_unit(live_server: LiveServer, phone: object) -> None:
    rt = live_server.runtime
    rt.run(create_community, code="demo", name="江滨花园")
    rt.run(
        import_roll_file,
        community_code="demo",
        data=demo_roll_csv(),
        filename="demo.csv",
        cipher=rt.cipher,
        building_names=DEMO_BUILDING_NAMES,
    )
    rt.run(
        add_user,
        username="chair",
        password="a long demo password",
        role="committee",
        communities=["demo"],
        display_name="业委会主任",
    )
    page = phone.new_page()  # type: ignore[attr-defined]
    page.goto(live_server.url + "/login")
    page.fill("input[name=username]", "chair")
    page.fill("input[name=password]", "a long demo password")
    page.click("button[type=submit]")
    page.goto(live_server.url + "/c/demo/")
    assert "江滨花园" in page.content()
    assert "1296" in page.inner_text("body")
    page.goto(live_server.url + "/c/demo/units?q=03-1204")
    body = page.inner_text("body")
    assert "03-1204" in body
    # Nothing on the page is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
