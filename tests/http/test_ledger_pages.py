"""Ledger pages: home, journal, reports and their files, publication, owners' links."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date

import pytest
from flask.testing import FlaskClient

from audit.verify_ledger import LedgerCheck
from fundvote.books import import_roll_with_books
from fundvote.runtime import Runtime
from ledger import api as ledger
from ledger.api import PostingLine
from notary import store
from tests.http.conftest import COMMUNITY_CODE as CODE
from tests.http.conftest import Login, csrf_token
from tests.unit.audit.ledger_log import MemoryFiles

ROLL = "unit,building,area,owners,developer\n1-101,1,100.00,A1,\n1-102,1,80.50,B1,\n"


@pytest.fixture
def books(runtime: Runtime, community: int) -> Runtime:
    runtime.run(ledger.open_books, community)
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=ROLL.encode(),
        filename="r.csv",
        cipher=runtime.cipher,
    )
    for lines, kind, day in (
        ([("1001", 100_000), ("2101.1-101", -100_000)], "deposit", date(2024, 3, 1)),
        ([("1001", 50_000), ("2101.1-102", -50_000)], "deposit", date(2024, 4, 1)),
        ([("1002", 9_999), ("4101", -9_999)], "public_income", date(2024, 5, 1)),
        ([("2101.1-101", 1_234), ("1001", -1_234)], "draw", date(2024, 6, 1)),
    ):
        runtime.run(
            ledger.post_entry,
            community_code=CODE,
            kind=kind,
            value_date=day,
            lines=[PostingLine(a, n) for a, n in lines],
            documents={"project": "P1"} if kind == "draw" else {},
        )
    return runtime


def _fonts(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout


def test_reports_pages_and_files(
    client: FlaskClient, login: Login, books: Runtime, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    login("auditor")
    home = client.get(f"/c/{CODE}/ledger/")
    assert home.status_code == 200
    assert "1,487.66" in home.get_data(as_text=True)  # 1000 + 500 - 12.34 in the sub-accounts
    assert client.get(f"/c/{CODE}/ledger/entries").status_code == 200
    tb = client.get(f"/c/{CODE}/ledger/reports/trial-balance/?as_of=2024-12-31")
    assert tb.status_code == 200 and "1,587.65" in tb.get_data(as_text=True)
    bad = client.get(f"/c/{CODE}/ledger/reports/trial-balance/?as_of=nope")
    assert bad.status_code == 422
    assert client.get(f"/c/{CODE}/ledger/reports/nothing/").status_code == 404
    disclosure = client.get(f"/c/{CODE}/ledger/reports/disclosure/?year=2024")
    assert disclosure.status_code == 200 and "P1" in disclosure.get_data(as_text=True)
    statement = client.get(f"/c/{CODE}/ledger/reports/unit-statement/?unit=1-101&start=2024-01-01")
    assert "987.66" in statement.get_data(as_text=True)
    csv = client.get(f"/c/{CODE}/ledger/reports/trial-balance/download?format=csv&as_of=2024-12-31")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "1587.65" in csv.get_data(as_text=True)
    xlsx = client.get(f"/c/{CODE}/ledger/reports/disclosure/download?format=xlsx&year=2024")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    pdf = client.get(f"/c/{CODE}/ledger/reports/disclosure/download?format=pdf&year=2024")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    again = client.get(f"/c/{CODE}/ledger/reports/disclosure/download?format=pdf&year=2024")
    assert again.data == pdf.data
    fonts = _fonts(pdf.data, tmp_path)
    assert re.search(r"WenQuanYi|Noto Sans CJK|Source Han", fonts), fonts
    api = client.get(f"/c/{CODE}/ledger/reports/funds/download?format=doc")
    assert api.status_code == 404


def test_publish_and_public_pages(client: FlaskClient, login: Login, books: Runtime) -> None:
    login("committee")
    token = csrf_token(client)
    response = client.post(
        f"/c/{CODE}/ledger/publish",
        data={"report": "disclosure", "period": "2024", "csrf_token": token},
    )
    assert response.status_code == 302
    listed = client.get(f"/r/{CODE}/ledger/")
    assert listed.status_code == 200 and "2024" in listed.get_data(as_text=True)
    page = client.get(f"/r/{CODE}/ledger/fund_disclosure/2024/")
    assert page.status_code == 200
    info = books.query(ledger.get_publication, CODE, "fund_disclosure", "2024")
    assert info.content_sha256 in page.get_data(as_text=True)
    pdf = client.get(f"/r/{CODE}/ledger/fund_disclosure/2024/report.pdf")
    assert pdf.data[:4] == b"%PDF"
    assert client.get(f"/r/{CODE}/ledger/fund_disclosure/2023/").status_code == 404


def test_owner_link_reissue_invalidates_the_old(
    client: FlaskClient, login: Login, books: Runtime
) -> None:
    login("committee")
    found = client.get(f"/c/{CODE}/ledger/statement-links?unit=1-101")
    assert found.status_code == 200
    ref = books.query(ledger.unit_owner_links, CODE, "1-101")[0].owner_ref
    token = csrf_token(client)
    urls = []
    for _ in range(2):
        issued = client.post(
            f"/c/{CODE}/ledger/statement-links",
            data={"owner": ref, "unit": "1-101", "csrf_token": token},
        )
        assert issued.status_code == 200
        match = re.search(r"/s/([A-Za-z0-9_-]{20,})", issued.get_data(as_text=True))
        assert match
        urls.append(match.group(0))
    anonymous = client.application.test_client()
    old = anonymous.get(urls[0])
    assert old.status_code == 404 and "1-101" not in old.get_data(as_text=True)
    new = anonymous.get(urls[1])
    body = new.get_data(as_text=True)
    assert new.status_code == 200 and "1-101" in body and "1-102" not in body
    assert "A1" not in body
    assert "statement.json" in body


def test_owner_statement_downloads_as_json_the_verifier_accepts(
    client: FlaskClient, login: Login, books: Runtime
) -> None:
    ref = books.query(ledger.unit_owner_links, CODE, "1-101")[0].owner_ref
    issued = books.run(ledger.issue_statement_link, community_code=CODE, owner_ref=ref)
    anonymous = client.application.test_client()
    url = f"/s/{issued.token}/statement.json"
    got = anonymous.get(f"{url}?unit=1-101&year=2024")
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert got.headers["Cache-Control"] == "no-store"
    statement = json.loads(got.get_data())
    assert [line["amount_fen"] for line in statement["lines"]] == [100_000, -1_234]
    assert statement["closing_fen"] == 98_766 and "A1" not in got.get_data(as_text=True)
    with books.session_factory() as s:
        log = [e.data for e in store.entries(s, CODE)]
    check = LedgerCheck(statement=statement)
    for index, entry in enumerate(log):
        check.entry(index, entry)
    check.finish(MemoryFiles({}))
    assert [f for f in check.findings() if f.check == "statement"] == []
    statement["lines"][0]["amount_fen"] = 100_001
    changed = LedgerCheck(statement=statement)
    for index, entry in enumerate(log):
        changed.entry(index, entry)
    changed.finish(MemoryFiles({}))
    assert [f.where for f in changed.findings() if f.check == "statement"] == ["statement:lines[0]"]
    assert anonymous.get(f"{url}?unit=1-102&year=2024").status_code == 404
    assert anonymous.get(f"/s/{'x' * 30}/statement.json?unit=1-101").status_code == 404


def test_manager_may_not_publish_and_overview_for_authority(
    client: FlaskClient, login: Login, books: Runtime
) -> None:
    login("authority")
    page = client.get("/ledger/overview")
    assert page.status_code == 200 and "1,487.66" in page.get_data(as_text=True)
