"""The demo community's books: five and a half years of history, told in the order it happened.

- Every unit's first deposit into its sub-account (分户账) in the six months after the homes
  were handed over, recorded one by one by the housing authority's fund centre, which holds
  the fund; interest (增值收益) each year, credited by daily-balance products (积数).
- Public income every quarter from parking on common land and lift advertising, the property
  manager's agreed share as its reasonable cost, and each January most of the balance moved
  into the maintenance fund by the owners' decision, credited to the sub-accounts by area.
- An emergency: roof leaks into top-floor homes of building 07, repaired at once from the fund
  without a vote, the costs published to owners two weeks later.
- 江滨花园消防设施改造 (fire-safety works for the whole community), decided by the owners and
  funded the Quanzhou way: a central subsidy, the maintenance fund and a charging-pile
  operator's social capital; paid in three stages (advance, progress, final with a 5% warranty
  retention), each recorded by the manager and approved by the authority.
- 3号楼电梯更换 (lift replacement, building 03), decided by its owners: a subsidy and building
  03's sub-accounts; the advance is paid, the progress payment waits for the authority.

Everything goes through the same use cases as the pages (``ledger.api``), with the clock set to
when each step happened, so the log's times run forward and every entry is gated and logged
as in production. :func:`story` returns the steps; ``fundvote.demo`` runs them in time order
with the ballots.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from fundvote.runtime import Runtime
from ledger import api as ledger
from notary.api import FixedClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEPOSIT_RATE_YUAN = {"flat": 80, "shop": 100, "parking": 30}
"""First deposit per m² of floor area (a high-rise with lifts; shops and parking spaces at
their own rates), so a unit's first deposit in fen is its area in 0.01 m² times the rate."""
INTEREST_PER_10000 = 135
"""The bank's yearly interest on the fund's account: 1.35%."""
FIRE_BUDGET = {"subsidy": 50_000_000, "maintenance_fund": 58_000_000, "social_capital": 20_000_000}
FIRE_STAGES = (("advance", 30, 0), ("progress", 40, 0), ("final", 30, 5))
"""Fire-safety payments: stage, percent of the budget, percent of the budget held back."""
ROOF_COST_FEN = 3_680_000
COMMITTEE_SIZE = 2


@dataclass(frozen=True)
class Staff:
    """The demo staff users' ids, as their use cases act."""

    committee: int
    manager: int
    authority: int


StepAction = Callable[[Runtime], object]
Step = tuple[datetime, str, StepAction]
"""When it happens (UTC), a label (for errors), and what it does with a runtime whose clock
is set to that moment."""


def at(day: date, hour: int = 10) -> datetime:
    """``day`` at ``hour`` o'clock Beijing time, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))


def run_at(runtime: Runtime, when: datetime) -> Runtime:
    """The runtime with its clock fixed at ``when``."""
    return replace(runtime, clock=FixedClock(when))


def _local_day(rt: Runtime) -> date:
    return rt.clock.now().astimezone(SHANGHAI).date()


def deposit_steps(staff: Staff, units: dict[str, tuple[int, str]], start: date) -> list[Step]:
    """Every unit's first deposit, recorded by the fund centre within six months of ``start``,
    ``units`` mapping unit code to (area in 0.01 m², kind)."""
    rng = random.Random(2021)
    steps: list[Step] = []
    for code in sorted(units):
        area, kind = units[code]
        day = start + timedelta(days=rng.randint(0, 180))
        amount = area * DEPOSIT_RATE_YUAN.get(kind, 80)
        reference = "JC" + hashlib.sha256(f"deposit {code}".encode()).hexdigest()[:10].upper()

        def deposit(
            rt: Runtime,
            code: str = code,
            amount: int = amount,
            day: date = day,
            reference: str = reference,
        ) -> object:
            return rt.run_as(
                staff.authority,
                ledger.record_deposit,
                community_code="demo",
                may_record=True,
                unit_code=code,
                amount_fen=amount,
                value_date=day,
                bank_reference=reference,
                is_first=True,
                memo="首次交存",
            )

        steps.append((at(day, 9 + rng.randint(0, 7)), f"deposit {code}", deposit))
    return steps


def interest_steps(staff: Staff, first: date, last: date) -> list[Step]:
    """The bank's interest for each year from July to June, credited on 30 June."""
    steps: list[Step] = []
    for year in range(first.year, last.year):
        start, end = date(year, 7, 1), date(year + 1, 6, 30)
        if end > last:
            break

        def interest(rt: Runtime, start: date = start, end: date = end) -> object:
            balance = rt.query(ledger.book_balance, "demo", "1001", end)
            return rt.run_as(
                staff.authority,
                ledger.allocate_interest_entry,
                community_code="demo",
                may_record=True,
                start=start,
                end=end,
                amount_fen=balance * INTEREST_PER_10000 // 10_000,
                value_date=end,
                bank_reference=f"LX{end.year}",
                memo=f"{start.year}—{end.year}年度增值收益",
            )

        steps.append((at(end + timedelta(days=3)), f"interest {end}", interest))
    return steps


def _income(staff: Staff, kind: str, amount: int, memo: str, key: str, rt: Runtime) -> object:
    return rt.run_as(
        staff.manager,
        ledger.record_public_income,
        community_code="demo",
        may_record=True,
        kind=kind,
        amount_fen=amount,
        value_date=_local_day(rt),
        memo=memo,
        idempotency_key=key,
    )


def _cost(staff: Staff, amount: int, memo: str, key: str, rt: Runtime) -> object:
    return rt.run_as(
        staff.manager,
        ledger.record_public_income_cost,
        community_code="demo",
        may_record=True,
        amount_fen=amount,
        value_date=_local_day(rt),
        memo=memo,
        idempotency_key=key,
    )


def public_income_steps(staff: Staff, first: date, last: date) -> list[Step]:
    """Each quarter's parking and lift-advertising income, recorded by the manager ten days
    after the quarter, with the manager's agreed 15% as its cost; and each January the
    committee moves 70% of the balance into the maintenance fund, by the owners' decision."""
    rng = random.Random(282)
    steps: list[Step] = []
    # The first full quarter after the homes were handed over.
    quarter = date(first.year, ((first.month - 1) // 3) * 3 + 1, 1)
    quarter = (
        date(quarter.year + 1, 1, 1)
        if quarter.month == 10
        else date(quarter.year, quarter.month + 3, 1)
    )
    while True:
        nxt = (
            date(quarter.year + 1, 1, 1)
            if quarter.month == 10
            else date(quarter.year, quarter.month + 3, 1)
        )
        received = nxt + timedelta(days=9)
        if received > last:
            break
        label = f"{quarter.year}年第{(quarter.month + 2) // 3}季度"
        parking = 1_500_000 + rng.randint(0, 60) * 10_000
        adverts = 1_200_000 + rng.randint(0, 30) * 10_000
        cost = (parking + adverts) * 15 // 100

        key = quarter.isoformat()
        steps += [
            (
                at(received, 10),
                f"parking {key}",
                partial(_income, staff, "parking", parking, f"{label}地面停车收益", f"pip-{key}"),
            ),
            (
                at(received, 11),
                f"adverts {key}",
                partial(
                    _income, staff, "advertising", adverts, f"{label}电梯广告收益", f"pia-{key}"
                ),
            ),
            (
                at(received, 15),
                f"cost {key}",
                partial(_cost, staff, cost, f"{label}物业服务企业约定分成（15%）", f"pic-{key}"),
            ),
        ]
        quarter = nxt
    for year in range(first.year + 1, last.year + 1):
        day = date(year, 1, 20)
        if day > last:
            break

        def transfer(rt: Runtime, year: int = year, day: date = day) -> object:
            summary = rt.query(ledger.public_income_summary, "demo")
            amount = summary.available_fen * 70 // 100
            if amount <= 0:
                return None
            return rt.run_as(
                staff.committee,
                ledger.transfer_public_income,
                community_code="demo",
                may_transfer=True,
                amount_fen=amount,
                value_date=day,
                decision=f"业主大会{year - 1}年度会议决议第3项",
                memo=f"{year - 1}年度公共收益转入维修资金",
                idempotency_key=f"pit-{year}",
            )

        steps.append((at(day, 14), f"transfer {year}", transfer))
    return steps


def _approve(staff: Staff, refs: dict[str, str], key: str, rt: Runtime) -> object:
    """The authority (which holds the demo's fund) approves the draw recorded as
    ``refs[key]``, which posts it."""
    return rt.run_as(
        staff.authority,
        ledger.approve_draw,
        community_code="demo",
        draw_ref=refs[key],
        is_authority=True,
        is_committee_member=False,
        committee_size=COMMITTEE_SIZE,
    )


def emergency_steps(staff: Staff, when: datetime) -> list[Step]:
    """Roof leaks into top-floor homes of building 07: recorded by the manager with the
    inspection photos' hash, repaired at once from building 07's sub-accounts, the payment
    approved by the authority, and the costs published to the owners two weeks later."""
    refs: dict[str, str] = {}

    def record(rt: Runtime) -> object:
        info = rt.run_as(
            staff.manager,
            ledger.record_emergency,
            community_code="demo",
            category="roof_leak",
            evidence_sha256=hashlib.sha256(b"demo: building 07 roof inspection photos").hexdigest(),
            description="7号楼顶层12户室内渗漏，屋面防水层老化破损，暴雨季节前须立即修复。",
            scope_kind="buildings",
            scope_codes=["07"],
        )
        refs["emergency"] = info.ref
        project = rt.run_as(
            staff.manager,
            ledger.open_project_from_emergency,
            community_code="demo",
            emergency_ref=info.ref,
            title="7号楼屋面防水应急维修",
            sources={"maintenance_fund": ROOF_COST_FEN},
        )
        refs["project"] = project.ref
        return None

    def draw(rt: Runtime) -> object:
        recorded = rt.run_as(
            staff.manager,
            ledger.record_draw,
            community_code="demo",
            project_ref=refs["project"],
            stage="final",
            amount_fen=ROOF_COST_FEN,
            value_date=_local_day(rt),
            invoices=["35020026110000418"],
            memo="屋面防水应急维修工程款（一次付清）",
        )
        refs["draw"] = recorded.ref
        return None

    def publish(rt: Runtime) -> object:
        return rt.run_as(
            staff.committee,
            ledger.publish_emergency,
            community_code="demo",
            emergency_ref=refs["emergency"],
        )

    return [
        (when, "emergency", record),
        (when + timedelta(days=3), "emergency draw", draw),
        (when + timedelta(days=4), "emergency approval", partial(_approve, staff, refs, "draw")),
        (when + timedelta(days=16), "emergency publication", publish),
    ]


def project_steps(
    staff: Staff,
    when: datetime,
    refs: dict[str, str],
    ballot: str,
    title: str,
    funding: dict[str, int],
    stages: tuple[tuple[str, int, int, int, bool], ...],
) -> list[Step]:
    """A project opened by the manager from the decided ballot ``refs[ballot]`` (question 1),
    ``funding`` received from the sources other than the maintenance fund, then the
    ``stages``: (stage, amount in fen, retention in fen, days after ``when``, approved?)."""
    project: dict[str, str] = {}

    def open_project(rt: Runtime) -> object:
        info = rt.run_as(
            staff.manager,
            ledger.open_project_from_decision,
            community_code="demo",
            ballot_ref=refs[ballot],
            position=1,
            title=title,
        )
        project["ref"] = info.ref
        return None

    steps: list[Step] = [(when, f"open {title}", open_project)]
    for offset, (source, amount) in enumerate(sorted(funding.items()), start=2):

        def receive(rt: Runtime, source: str = source, amount: int = amount) -> object:
            return rt.run_as(
                staff.authority,
                ledger.receive_funding,
                community_code="demo",
                project_ref=project["ref"],
                source=source,
                amount_fen=amount,
                value_date=_local_day(rt),
                memo=f"{title}：{SOURCE_NAMES[source]}到账",
            )

        steps.append((when + timedelta(days=offset), f"funding {source}", receive))
    for stage, amount, retention, days, approved in stages:
        draws: dict[str, str] = {}

        def record(
            rt: Runtime,
            stage: str = stage,
            amount: int = amount,
            retention: int = retention,
            draws: dict[str, str] = draws,
        ) -> object:
            info = rt.run_as(
                staff.manager,
                ledger.record_draw,
                community_code="demo",
                project_ref=project["ref"],
                stage=stage,
                amount_fen=amount,
                retention_fen=retention,
                value_date=_local_day(rt),
                invoices=["3502" + hashlib.sha256(f"{title}{stage}".encode()).hexdigest()[:12]],
                memo=f"{title}：{STAGE_NAMES[stage]}",
            )
            draws["ref"] = info.ref
            return None

        steps.append((when + timedelta(days=days), f"draw {stage}", record))
        if approved:
            approve = partial(_approve, staff, draws, "ref")
            steps.append((when + timedelta(days=days + 2), f"approve {stage}", approve))
    return steps


SOURCE_NAMES = {"subsidy": "中央老旧小区改造补助资金", "social_capital": "充电桩运营企业投资款"}
STAGE_NAMES = {"advance": "预付款", "progress": "进度款", "final": "结算款（预留5%质保金）"}


def publication_steps(staff: Staff, now: datetime) -> list[Step]:
    """The committee publishes last year's fund disclosure in late January and the last
    quarter's public-income statement twenty days after it ended."""
    today = now.astimezone(SHANGHAI).date()
    year = today.year - 1
    last_quarter_end = date(today.year, ((today.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    quarter = f"{last_quarter_end.year}-Q{(last_quarter_end.month + 2) // 3}"

    def publish(kind: str, period: str) -> Callable[[Runtime], object]:
        def step(rt: Runtime) -> object:
            return rt.run_as(
                staff.committee,
                ledger.publish_report,
                community_code="demo",
                kind=kind,
                period=period,
                today=_local_day(rt),
            )

        return step

    steps: list[Step] = [
        (at(date(today.year, 1, 25)), "disclosure", publish("fund_disclosure", str(year)))
    ]
    published = last_quarter_end + timedelta(days=20)
    if published < today:
        steps.append((at(published), "public income statement", publish("public_income", quarter)))
    return steps


def run_story(runtime: Runtime, steps: list[Step], start: datetime) -> None:
    """Run ``steps`` in time order, each with the clock at its moment; a step due while an
    earlier one was still running (a ballot spans weeks) runs just after it, so the log's
    times run forward. A step may return the moment it finished (a ballot's last step)."""
    cursor = start
    for when, _label, step in sorted(steps, key=lambda s: s[0]):
        moment = max(when, cursor + timedelta(seconds=1))
        result = step(run_at(runtime, moment))
        cursor = result if isinstance(result, datetime) else moment
