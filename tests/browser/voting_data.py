"""Data for the voting journeys and the README screenshots: a small roll in two buildings,
a fund-use ballot for building 03, links, and the figures the pages must show.

Used by ``tests/browser/test_voting_journeys.py`` and ``scripts/screenshots.py`` (which
builds the same data on a temporary SQLite database).

The roll (areas in m²):

====== ======== ======= ================================================
unit   building area    owners
====== ======== ======= ================================================
03-101 03       89.37   O001 (also holds 05-102: one member, two buildings)
03-102 03       95.12   O002 + O003 (co-owned)
03-201 03       120.05  O004
03-S01 03       56.40   the developer (unsold shop)
05-101 05       110.00  O005
05-102 05       64.00   O001
05-201 05       143.21  O006
====== ======== ======= ================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from estate.apportion import apportion
from estate.quantities import format_hundredths
from estate.services import create_community, import_roll_file
from fundvote.runtime import Runtime
from tests.services.voting.owner_helpers import tokens_by_unit
from voting import ballots
from voting.ballots import BallotInfo, QuestionDraft, UsePlan
from voting.credentials import issue_links

COMMUNITY_NAME = "江滨花园"
BUILDING_NAMES = {"03": "3号楼", "05": "5号楼"}

ROLL_CSV = """\
unit,building,area,owners,developer,owner_names,owner_phones
03-101,03,89.37,O001,,张三明,13812341234
03-102,03,95.12,O002;O003,,李四;王五六,13900001111;13700002222
03-201,03,120.05,O004,,赵六,
03-S01,03,56.40,,1,,
05-101,05,110.00,O005,,欧阳娜娜,13600003333
05-102,05,64.00,O001,,张三明,13812341234
05-201,05,143.21,O006,,陈小红,
"""

# Unit -> area in 0.01 m², written out independently of the CSV parser.
AREAS: dict[str, int] = {
    "03-101": 8937,
    "03-102": 9512,
    "03-201": 12005,
    "03-S01": 5640,
    "05-101": 11000,
    "05-102": 6400,
    "05-201": 14321,
}
SCOPE_BUILDING = "03"

FUND_TITLE = "3号楼屋面防水维修（使用维修资金）"
FUND_DESCRIPTION = (
    "3号楼屋面防水层老化，顶层住户反映雨季渗漏。物业服务企业提出使用方案："
    "铲除旧防水层，重做SBS改性沥青防水并修复顶层墙面，费用由街道老旧小区改造补助"
    "和3号楼业主分户维修资金共同承担。"
)
FUND_QUESTION = "是否同意按使用方案维修3号楼屋面防水，并从3号楼分户维修资金列支？"
FUND_PLAN = UsePlan(
    repair="铲除3号楼屋面旧防水层，重做SBS改性沥青防水，修复顶层渗漏墙面",
    budget_fen=12_860_000,
    sources={"subsidy": 3_000_000, "maintenance_fund": 9_860_000},
    emergency="施工期间如遇暴雨渗漏，由物业24小时值班电话处置，费用在不可预见费中列支并事后公示。",
)


def make_roll(rt: Runtime, code: str) -> None:
    """The community ``code`` with the roll above, imported from the CSV file."""
    rt.run(create_community, code=code, name=COMMUNITY_NAME)
    rt.run(
        import_roll_file,
        community_code=code,
        data=ROLL_CSV.encode("utf-8"),
        filename="roll.csv",
        cipher=rt.cipher,
        building_names=BUILDING_NAMES,
    )


def open_fund_ballot(rt: Runtime, code: str) -> BallotInfo:
    """A fund-use ballot for building 03, open from now for seven days."""
    now = rt.clock.now()
    info = rt.run(
        ballots.create_ballot,
        community_code=code,
        title=FUND_TITLE,
        description=FUND_DESCRIPTION,
        opens_at=now,
        closes_at=now + timedelta(days=7),
        questions=[QuestionDraft("fund_use", FUND_QUESTION, FUND_PLAN)],
        scope_kind="buildings",
        scope_codes=[SCOPE_BUILDING],
    )
    return rt.run(ballots.open_ballot, ballot_ref=info.ref)


def issue_tokens(rt: Runtime, ref: str, base_url: str) -> dict[str, str]:
    """Issue every member's link under ``base_url``; unit code -> token."""
    issued = rt.run(issue_links, ballot_ref=ref, base_url=base_url)
    return tokens_by_unit(issued)


def scope_areas(building: str = SCOPE_BUILDING) -> dict[str, int]:
    return {unit: area for unit, area in AREAS.items() if unit.startswith(building + "-")}


def expected_share_fen(units: Iterable[str], plan: UsePlan = FUND_PLAN) -> int:
    """The member's part of the plan's maintenance-fund amount, by area over the scope."""
    shares = apportion(plan.sources["maintenance_fund"], scope_areas())
    return sum(shares[u] for u in units)


def yuan_text(fen: int) -> str:
    """``1234567 -> "12,345.67"``, as the pages print amounts (the ``yuan`` filter)."""
    return format_hundredths(fen, grouping=True)


def area_text(centi: int) -> str:
    """``9512 -> "95.12"``, as the pages print areas (the ``area`` filter)."""
    return format_hundredths(centi, grouping=True)
