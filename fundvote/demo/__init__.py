"""Load the demo community 江滨花园 (code ``demo``) and one staff user of every role."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

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
from notary.api import FixedClock

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
    """Create the demo community, import its roll, add the demo staff and its ballots.

    Does nothing (and says so) when the demo community exists already.
    """
    from fundvote import auth

    if demo_exists(runtime):
        return DemoReport(loaded=False, units=0, owners=0)
    from fundvote.demo.ballots import STORY_DAYS, load_demo_ballots

    # The community and its roll come first in the log: recorded a day before the story's
    # first (backdated) ballot, so the log's times run forward.
    founding = replace(
        runtime, clock=FixedClock(runtime.clock.now() - timedelta(days=STORY_DAYS + 1))
    )
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
        runtime.run(
            auth.add_user,
            username=username,
            password=password,
            role=role,
            communities=[] if role == "admin" else [DEMO_CODE],
            display_name=display_name,
        )
    load_demo_ballots(runtime)
    return DemoReport(loaded=True, units=summary.units_created, owners=summary.owners_created)
