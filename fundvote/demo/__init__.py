"""Load the demo community 江滨花园 (code ``demo``) and one staff user of every role."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from estate import api as estate
from fundvote import books
from fundvote.demo.roll import (
    DEMO_ADDRESS,
    DEMO_BUILDING_NAMES,
    DEMO_CODE,
    DEMO_NAME,
    demo_roll_csv,
)
from fundvote.runtime import Runtime

# Demo-only credentials, printed by `fundvote demo`; never use them on a real deployment.
DEMO_STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "admin", "系统管理员", "demo-admin-2026"),
    ("committee", "committee", "业委会主任 林志远", "demo-committee-2026"),
    ("committee2", "committee", "业委会委员 陈秀英", "demo-committee2-2026"),
    ("manager", "manager", "物业经理 黄建国", "demo-manager-2026"),
    ("authority", "authority", "台商区住建局 郑振宏", "demo-authority-2026"),
    ("auditor", "auditor", "闽审会计师事务所 吴佳琪", "demo-auditor-2026"),
)


@dataclass(frozen=True)
class DemoReport:
    """What ``load_demo`` did: whether it loaded anything, and how much."""

    loaded: bool
    units: int
    owners: int


def demo_exists(runtime: Runtime) -> bool:
    """True when the demo community is already in the database."""
    return runtime.query(estate.find_community, DEMO_CODE) is not None


def load_demo(runtime: Runtime) -> DemoReport:
    """Create the demo community, import its roll, add the demo staff, and tell its story in
    time order: five and a half years of books, an emergency repair, two decided fund-use
    ballots and their projects, and a ballot open now (``fundvote.demo.ledger``).

    Does nothing (and says so) when the demo community exists already.
    """
    from fundvote import auth
    from fundvote.demo import ballots
    from fundvote.demo import ledger as books_story

    if demo_exists(runtime):
        return DemoReport(loaded=False, units=0, owners=0)
    now = runtime.clock.now()
    today = now.astimezone(books_story.SHANGHAI).date()
    handed_over = date(today.year - 5, 6, 1)
    founding = books_story.run_at(runtime, books_story.at(handed_over - timedelta(days=20)))
    founding.run(
        books.create_community_with_books, code=DEMO_CODE, name=DEMO_NAME, address=DEMO_ADDRESS
    )
    summary = founding.run(
        books.import_roll_with_books,
        community_code=DEMO_CODE,
        data=demo_roll_csv(),
        filename="jiangbin-roll.csv",
        cipher=runtime.cipher,
        building_names=DEMO_BUILDING_NAMES,
    )
    for username, role, display_name, password in DEMO_STAFF:
        founding.run(
            auth.add_user,
            username=username,
            password=password,
            role=role,
            communities=[] if role == "admin" else [DEMO_CODE],
            display_name=display_name,
        )
    staff = books_story.Staff(
        committee=ballots.staff_id(runtime, "committee"),
        manager=ballots.staff_id(runtime, "manager"),
        authority=ballots.staff_id(runtime, "authority"),
    )
    rng = random.Random(20261122)
    refs: dict[str, str] = {}
    tokens: list[str] = []

    def decided(name: str, vote: Callable[..., tuple[str, datetime]]) -> books_story.StepAction:
        def step(rt: Runtime) -> datetime:
            refs[name], finished = vote(rt, rt.clock.now(), rng)
            return finished

        return step

    def open_now(rt: Runtime) -> datetime:
        ref, links = ballots.open_ballot(rt, rt.clock.now(), now + timedelta(days=12), rng)
        refs["open"] = ref
        tokens.extend(links)
        return rt.clock.now()

    fire_day = now - timedelta(days=175)
    lift_day = now - timedelta(days=62)
    fire = books_story.FIRE_BUDGET
    total = sum(fire.values())
    steps: list[books_story.Step] = [
        *books_story.deposit_steps(staff, demo_unit_areas(), handed_over),
        *books_story.interest_steps(staff, handed_over, today),
        *books_story.public_income_steps(staff, handed_over, today),
        *books_story.emergency_steps(staff, now - timedelta(days=220)),
        (fire_day, "fire-safety ballot", decided("fire", ballots.fire_safety_ballot)),
        *books_story.project_steps(
            staff,
            fire_day + timedelta(days=26),
            refs,
            "fire",
            "江滨花园消防设施改造",
            {k: v for k, v in fire.items() if k != "maintenance_fund"},
            (
                ("advance", total * 30 // 100, 0, 8, True),
                ("progress", total * 40 // 100, 0, 60, True),
                ("final", total * 30 // 100, total * 5 // 100, 120, True),
            ),
        ),
        (lift_day, "lift ballot", decided("lift", ballots.lift_ballot)),
        *books_story.project_steps(
            staff,
            lift_day + timedelta(days=24),
            refs,
            "lift",
            "3号楼电梯更换",
            {"subsidy": 20_000_000},
            (
                ("advance", 86_000_000 * 30 // 100, 0, 6, True),
                ("progress", 86_000_000 * 40 // 100, 0, 30, False),
            ),
        ),
        *books_story.publication_steps(staff, now),
        (now - timedelta(days=3), "open ballot", open_now),
    ]
    books_story.run_story(runtime, steps, founding.clock.now())
    ballots.save_demo_links(runtime, tokens)
    return DemoReport(loaded=True, units=summary.units_created, owners=summary.owners_created)


def demo_unit_areas() -> dict[str, tuple[int, str]]:
    """Each demo unit's area (0.01 m²) and kind, read from the demo roll."""
    rows = csv.DictReader(io.StringIO(demo_roll_csv().decode("utf-8")))
    return {r["unit"]: (estate.parse_hundredths(r["area"]), r["kind"] or "flat") for r in rows}
