"""The property-register pages: overview, units, owners, roll import and export.

Roles, scoping (403 for staff of another community), search and pagination, masking of
names and phones, the all-or-nothing import (every problem listed, nothing written) and
exports that parse back as rolls.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from estate.models import Owner, Unit
from estate.quantities import format_hundredths
from estate.roll import parse_roll
from estate.services import import_roll_file
from fundvote.runtime import Runtime
from notary import store
from tests.http.conftest import COMMUNITY_CODE, Login, csrf_token, make_community

ROLL = (
    "unit,building,area,owners,developer,owner_names,owner_phones,kind\n"
    "01-0101,01,89.37,O1,,张三明,13812345678,flat\n"
    "01-0102,01,120.50,O2;O3,,李四;欧阳娜娜,13987654321;150 1111 2222,\n"
    "01-0103,01,75.00,,1,,,\n"
    "02-0101,02,60.05,O1,,张三明,,\n"
    "S-01,S,45.00,O4,,泉州海丝商贸有限公司,,shop\n"
    "P-001,P,13.20,O2;O3,,李四;欧阳娜娜,,parking\n"
)
PHONES = ("13812345678", "13987654321", "15011112222")
EXTRA_UNITS = 45  # building 03: 03-001 .. 03-045, for pagination
CLEAR_ROLES = ("committee", "admin")
MASKED_ROLES = ("manager", "authority", "auditor")
ALL_ROLES = CLEAR_ROLES + MASKED_ROLES


def roll_with_extra_units() -> bytes:
    extra = "".join(
        f"03-{i:03d},03,{50 + i}.{i % 100:02d},K{i:03d},,业主{i:03d}号,,\n"
        for i in range(1, EXTRA_UNITS + 1)
    )
    return (ROLL + extra).encode("utf-8")


def load_register(runtime: Runtime) -> None:
    """Import the test roll into the test community (which must exist)."""
    runtime.run(
        import_roll_file,
        community_code=COMMUNITY_CODE,
        data=roll_with_extra_units(),
        filename="roll.csv",
        cipher=runtime.cipher,
        building_names={"01": "1号楼", "02": "2号楼", "03": "3号楼", "S": "商铺", "P": "车库"},
    )


def snapshot(runtime: Runtime) -> dict[str, Any]:
    """Everything an import could change: units, owners, links, and the log's size."""
    with runtime.session_factory() as s:
        units = sorted(
            (
                u.code,
                u.building.code,
                u.area_centi,
                u.kind,
                u.is_developer_held,
                tuple(link.owner.key for link in u.owner_links),
            )
            for u in s.scalars(sa.select(Unit))
        )
        owners = sorted((o.key, o.name, o.phone_enc) for o in s.scalars(sa.select(Owner)))
        return {"units": units, "owners": owners, "log": store.tree_size(s, COMMUNITY_CODE)}


@pytest.fixture
def register(runtime: Runtime, community: int) -> None:
    load_register(runtime)


def _assert_no_phone(body: str) -> None:
    for phone in PHONES:
        assert phone not in body
        assert phone[3:] not in body  # not even the digits after the prefix


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    body = response.get_data(as_text=True)
    _assert_no_phone(body)
    return body


# -- access ------------------------------------------------------------------------------

PAGES = ["/c/demo/", "/c/demo/units", "/c/demo/units/01-0101"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_overview_and_units_render_for_every_role(
    client: FlaskClient, login: Login, register: None, role: str
) -> None:
    login(role)
    for url in PAGES:
        body = _page(client, url)
        assert "江滨花园" in body
    assert 'href="/c/demo/owners"' in _page(client, "/c/demo/") or role == "manager"


def test_staff_of_another_community_are_refused(
    client: FlaskClient, runtime: Runtime, login: Login, register: None
) -> None:
    make_community(runtime, "other", "其他小区")
    login("committee", communities=["other"])
    for url in [
        *PAGES,
        "/c/demo/owners",
        "/c/demo/roll/import",
        "/c/demo/roll/export.csv",
        "/c/demo/roll/export.xlsx",
    ]:
        assert client.get(url).status_code == 403, url
    token = csrf_token(client)
    response = client.post(
        "/c/demo/roll/import",
        data={"csrf_token": token, "file": (io.BytesIO(ROLL.encode()), "roll.csv")},
    )
    assert response.status_code == 403
    assert client.get("/c/other/").status_code == 200


def test_role_limits_on_owners_import_and_export(app: Any, login: Login, register: None) -> None:
    expected = {
        "/c/demo/owners": {"committee", "admin", "authority", "auditor"},
        "/c/demo/roll/import": {"committee", "admin"},
        "/c/demo/roll/export.csv": {"committee", "admin", "auditor"},
        "/c/demo/roll/export.xlsx": {"committee", "admin", "auditor"},
    }
    for role in ALL_ROLES:
        client = app.test_client()
        login(role, on=client)
        for url, allowed in expected.items():
            status = client.get(url).status_code
            assert status == (200 if role in allowed else 403), (role, url, status)


def test_anonymous_is_sent_to_login(client: FlaskClient, register: None) -> None:
    response = client.get("/c/demo/units")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_unknown_community_and_unit_are_404(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("admin")
    assert client.get("/c/nowhere/").status_code == 404
    assert client.get("/c/demo/units/99-9999").status_code == 404
    assert client.get("/c/demo/units/demo").status_code == 404


# -- overview ----------------------------------------------------------------------------


def test_overview_totals_and_buildings(client: FlaskClient, login: Login, register: None) -> None:
    login("committee")
    body = _page(client, "/c/demo/")
    extra_area = sum((50 + i) * 100 + i % 100 for i in range(1, EXTRA_UNITS + 1))
    total = 8937 + 12050 + 7500 + 6005 + 4500 + 1320 + extra_area
    area = format_hundredths(total, grouping=True)  # grouped for reading
    assert "," in area and area in body
    text = re.sub(r"<[^>]+>", " ", body)
    assert re.search(r"楼栋\s+5\b", text)
    assert re.search(r"单元\s+51\b", text)
    assert re.search(r"开发商持有的单元\s+1\b", text)
    # members: {O1} (2 units), {O2,O3} (2), {O4}, developer, 45 single owners
    assert re.search(r"表决人数\s+49\b", text)
    assert "1号楼" in body and "284.87" in body  # 89.37 + 120.50 + 75.00 in building 01
    assert 'href="/c/demo/units?building=01"' in body


def test_empty_register(client: FlaskClient, login: Login, community: int) -> None:
    login("committee")
    body = _page(client, "/c/demo/")
    assert "0.00" in body and "尚未导入" in body


# -- units -------------------------------------------------------------------------------


def test_units_list_shows_every_column_and_clear_names_to_the_committee(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("committee")
    body = _page(client, "/c/demo/units?building=01")
    assert "89.37" in body and "120.50" in body and "75.00" in body
    assert "张三明" in body and "欧阳娜娜" in body
    assert "开发商持有" in body
    assert "02-0101" not in body
    assert "找到单元：3" in body


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_units_list_masks_names_for_other_roles(
    client: FlaskClient, login: Login, register: None, role: str
) -> None:
    login(role)
    for url in ["/c/demo/units", "/c/demo/units/01-0102", "/c/demo/units/01-0101"]:
        body = _page(client, url)
        assert "张三明" not in body and "欧阳娜娜" not in body and "李四" not in body
    body = _page(client, "/c/demo/units?building=01")
    assert "张*明" in body and "欧**娜" in body and "李*" in body


def test_search_by_unit_building_and_name(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("committee")
    assert "找到单元：1" in _page(client, "/c/demo/units?q=S-01")
    assert "找到单元：45" in _page(client, "/c/demo/units?q=3号楼&size=20")
    body = _page(client, "/c/demo/units?q=张三")
    assert "找到单元：2" in body and "01-0101" in body and "02-0101" in body
    assert "找到单元：0" in _page(client, "/c/demo/units?q=%25")  # % is literal
    assert "找到单元：1" in _page(client, "/c/demo/units?developer=1")


def test_name_search_is_for_roles_that_see_names(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("auditor")
    assert "找到单元：0" in _page(client, "/c/demo/units?q=张三")
    assert "找到单元：1" in _page(client, "/c/demo/units?q=01-0101")


def test_pagination_is_bounded_and_ordered(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("committee")
    first = _page(client, "/c/demo/units?building=03&size=20")
    assert "第 1 / 3 页" in first
    assert "03-020" in first and "03-021" not in first
    assert 'href="/c/demo/units?building=03&amp;size=20&amp;page=2"' in first
    second = _page(client, "/c/demo/units?building=03&size=20&page=2")
    assert "03-021" in second and "03-040" in second and "03-041" not in second
    third = _page(client, "/c/demo/units?building=03&size=20&page=3")
    assert "03-045" in third and "下一页" not in third
    # an unknown size falls back to 50, a bad page to 1
    assert "找到单元：51" in _page(client, "/c/demo/units?size=100000&page=x")
    assert "第 2 / 2 页" in _page(client, "/c/demo/units?page=2")


def test_unit_detail(client: FlaskClient, login: Login, register: None) -> None:
    login("committee")
    body = _page(client, "/c/demo/units/01-0102")
    assert "120.50" in body and "1号楼" in body
    assert "共有人（2）" in body and "李四" in body and "欧阳娜娜" in body
    assert "139****4321" in body and "150****2222" in body
    assert 'href="/c/demo/units/P-001"' in body  # same owner set
    assert "133.70" in body  # 120.50 + 13.20
    single = _page(client, "/c/demo/units/01-0101")
    assert "138****5678" in single and 'href="/c/demo/units/02-0101"' in single
    developer = _page(client, "/c/demo/units/01-0103")
    assert "开发商持有" in developer and "没有登记业主" in developer


# -- owners ------------------------------------------------------------------------------


def test_owners_list(client: FlaskClient, login: Login, register: None) -> None:
    login("committee")
    body = _page(client, "/c/demo/owners?q=欧阳")
    assert "找到业主：1" in body and "欧阳娜娜" in body
    assert 'href="/c/demo/units/01-0102"' in body and 'href="/c/demo/units/P-001"' in body
    assert "150****2222" in body
    assert "找到业主：1" in _page(client, "/c/demo/owners?q=S-01")
    page2 = _page(client, "/c/demo/owners?size=20&page=3")
    assert "第 3 / 3 页" in page2


def test_owners_list_masked_for_the_auditor(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("auditor")
    body = _page(client, "/c/demo/owners?size=100")
    assert "欧**娜" in body and "欧阳娜娜" not in body and "张三明" not in body
    assert "找到业主：0" in _page(client, "/c/demo/owners?q=欧阳")
    assert "找到业主：1" in _page(client, "/c/demo/owners?q=O4")


# -- import ------------------------------------------------------------------------------

BAD_ROLL = (
    "unit,building,area,owners,developer,owner_names\n"
    "01-0101,01,89.37,O1,,张三明\n"
    "01-0104,01,12.345,O9,,赵六\n"
    "01-0105,,50,O10,,\n"
    "01-0106,01,50,,,\n"
    "01-0101,01,70,O1,,张三明\n"
    "01-0107,01,-3,O11,2,\n"
)


def _post_roll(client: FlaskClient, content: bytes, name: str, *, token: str | None = None) -> Any:
    return client.post(
        "/c/demo/roll/import",
        data={
            "csrf_token": token if token is not None else csrf_token(client),
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
    )


def test_rejected_import_lists_every_problem_and_writes_nothing(
    client: FlaskClient, runtime: Runtime, login: Login, register: None
) -> None:
    login("committee")
    before = snapshot(runtime)
    response = _post_roll(client, BAD_ROLL.encode(), "bad.csv")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "没有导入" in body and "没有写入任何内容" in body
    rows = re.findall(
        r'<tr>\s*<th scope="row" class="num"[^>]*>(\d+)</th>\s*<td[^>]*>(.*?)</td>\s*'
        r'<td data-label="问题">(.*?)</td>',
        body,
        flags=re.S,
    )
    found = [
        (int(line), re.sub(r"<[^>]+>|\s+", " ", field).split()[-1], msg)
        for line, field, msg in rows
    ]
    _rows, problems = parse_roll(BAD_ROLL.encode(), "bad.csv")
    assert len(found) == len(problems) >= 6
    assert [(f[0], f[1]) for f in found] == [(p.line, p.field) for p in problems]
    assert {f[0] for f in found} == {3, 4, 5, 6, 7}
    assert "“12.345”的小数超过两位" in body  # the checker's words, translated
    assert "more than two decimals" not in body
    assert "最多两位小数" in body  # and the rule for the column, in Chinese
    assert snapshot(runtime) == before


def test_unreadable_file_is_one_problem_on_line_1(
    client: FlaskClient, runtime: Runtime, login: Login, register: None
) -> None:
    login("admin")
    before = snapshot(runtime)
    response = _post_roll(client, b"\x00\x01PK not a workbook", "roll.xlsx")
    assert response.status_code == 422
    assert "整个文件或整行" in response.get_data(as_text=True)
    assert snapshot(runtime) == before


def test_import_needs_a_file_of_the_right_kind_and_size(
    client: FlaskClient,
    runtime: Runtime,
    login: Login,
    register: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login("committee")
    before = snapshot(runtime)
    response = client.post(
        "/c/demo/roll/import",
        data={"csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "请先选择" in response.get_data(as_text=True)
    response = _post_roll(client, ROLL.encode(), "roll.pdf")
    assert response.status_code == 400 and "只能导入" in response.get_data(as_text=True)
    assert "不超过 10 MB" in _page(client, "/c/demo/roll/import")
    # A small limit keeps the upload in memory (the test client leaks big spooled bodies).
    monkeypatch.setattr("fundvote.web.register.ROLL_MAX_BYTES", 2048)
    response = _post_roll(client, ROLL.encode() * 20, "big.csv")
    assert response.status_code == 413 and "文件超过" in response.get_data(as_text=True)
    assert snapshot(runtime) == before


def test_import_needs_the_csrf_token(
    client: FlaskClient, runtime: Runtime, login: Login, register: None
) -> None:
    login("committee")
    before = snapshot(runtime)
    response = _post_roll(client, ROLL.encode(), "roll.csv", token="")
    assert response.status_code == 400
    assert snapshot(runtime) == before


def test_successful_import_shows_a_summary(
    client: FlaskClient, runtime: Runtime, login: Login, register: None
) -> None:
    login("committee")
    page = _page(client, "/c/demo/roll/import")
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    roll = (
        "unit,building,area,owners,developer,owner_names\n"
        "01-0101,01,90.00,O1,,张三明\n"  # area changed
        "04-0101,04,66.60,O20,,钱七\n"  # new unit, building, owner
        "S-01,S,45.00,O4,,泉州海丝商贸有限公司\n"  # no kind column: shop becomes flat
    )
    response = _post_roll(client, roll.encode(), "update.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    _assert_no_phone(body)
    text = re.sub(r"<[^>]+>", " ", body)
    assert "update.csv" in body
    assert re.search(r"新增单元\s+1\b", text)
    assert re.search(r"更新单元\s+2\b", text)  # 01-0101 area, S-01 kind shop -> flat
    assert re.search(r"新增业主\s+1\b", text)
    assert re.search(r"新增楼栋\s+1\b", text)
    assert "90.00" in _page(client, "/c/demo/units/01-0101")
    assert "钱七" in _page(client, "/c/demo/units?q=04-0101")


# -- export ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_downloads_parse_back(
    client: FlaskClient, login: Login, register: None, fmt: str
) -> None:
    login("committee")
    response = client.get(f"/c/demo/roll/export.{fmt}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=demo-roll-20261101.{fmt}"
    assert response.headers["Cache-Control"] == "no-store"
    content = response.get_data()
    if fmt == "csv":
        assert response.mimetype == "text/csv" and content.startswith(b"\xef\xbb\xbf")
    else:
        assert content.startswith(b"PK")
    rows, problems = parse_roll(content, f"export.{fmt}")
    assert problems == []
    assert len(rows) == 6 + EXTRA_UNITS
    by_unit = {r.unit: r for r in rows}
    assert by_unit["01-0102"].area_centi == 12050
    assert by_unit["01-0102"].owner_names == ("李四", "欧阳娜娜")
    assert by_unit["01-0103"].is_developer_held and by_unit["P-001"].kind == "parking"
    for phone in PHONES:
        assert phone.encode() not in content


def test_the_auditors_export_has_masked_names(
    client: FlaskClient, login: Login, register: None
) -> None:
    login("auditor")
    response = client.get("/c/demo/roll/export.csv")
    assert response.status_code == 200
    assert "masked" in response.headers["Content-Disposition"]
    rows, problems = parse_roll(response.get_data(), "export.csv")
    assert problems == []
    by_unit = {r.unit: r for r in rows}
    assert by_unit["01-0102"].owner_names == ("李*", "欧**娜")
    assert "张三明".encode() not in response.get_data()


def test_english_pages(client: FlaskClient, login: Login, register: None) -> None:
    login("committee")
    body = _page(client, "/c/demo/units?lang=en")
    assert "Units found: 51" in body and "Developer-held" in body
