"""The demo community's ballots: a finished fund-use ballot and an open one.

- 3号楼电梯更换 (lift replacement, building 03 only): opened about two months ago, most owners
  voted online and two on paper, tallied, published with its notice, and final after its
  publicity period.
- 江滨花园消防设施改造 (fire-safety works for the whole community, cost shared between a
  central subsidy, the maintenance fund and social capital, as in Quanzhou's 江滨 project):
  open now, about a third of the members have voted.

The demo keeps a handful of the open ballot's links (members who have not voted yet) in
``instance/demo-links.txt`` so ``make run`` can print owner links to try. Only the demo does
this; a real ballot's links exist in clear only at the moment they are issued.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from fundvote import auth
from fundvote.demo.roll import DEMO_CODE
from fundvote.runtime import Runtime
from notary.api import FixedClock
from voting import api as voting
from voting.api import QuestionDraft, UsePlan

DEMO_LINKS_FILE = "demo-links.txt"
_BASE = "http://demo.invalid"  # links are rebuilt from tokens with the real address at print


@dataclass(frozen=True)
class DemoBallots:
    """References of the demo voting."""

    finished_ref: str
    open_ref: str


STORY_DAYS = 62
"""How far before today the demo's story starts (the finished ballot's draft); the community
and its roll are recorded before that, so the log's times run forward."""


def _choose(rng: random.Random, agree: float, oppose: float) -> str:
    roll = rng.random()
    return "agree" if roll < agree else "oppose" if roll < agree + oppose else "abstain"


def _token(url: str) -> str:
    return url.rsplit("/v/", 1)[1]


def _staff_id(runtime: Runtime, username: str) -> int:
    user = runtime.query(auth.find_user, username)
    assert user is not None, f"demo staff user {username} missing"
    return user.user_id


def _lift_ballot(runtime: Runtime, now: datetime, rng: random.Random) -> str:
    clock = FixedClock(now - timedelta(days=STORY_DAYS))
    runtime = replace(runtime, clock=clock)  # the story's own time, placed before today
    committee = _staff_id(runtime, "committee")
    info = runtime.run(
        voting.create_ballot,
        community_code=DEMO_CODE,
        title="3号楼电梯更换（使用维修资金）",
        description=(
            "3号楼两部电梯已运行18年，近一年停梯故障11次，经特种设备检验机构评估建议更换。"
            "物业服务企业提出使用方案：更换两部电梯，费用由政府老旧电梯更新补助和3号楼业主"
            "分户维修资金共同承担。按《民法典》第二百七十八条，由3号楼业主表决。"
        ),
        opens_at=clock.now() + timedelta(hours=1),
        closes_at=clock.now() + timedelta(days=14),
        questions=[
            QuestionDraft(
                matter="fund_use",
                text="是否同意按使用方案更换3号楼两部电梯，并从3号楼分户维修资金列支？",
                use_plan=UsePlan(
                    repair="更换3号楼两部乘客电梯（含拆除、安装、检验）",
                    budget_fen=86_000_000,
                    sources={"subsidy": 20_000_000, "maintenance_fund": 66_000_000},
                    emergency="施工期间如发生困人等紧急情况，由物业24小时值班电话处置，"
                    "费用在不可预见费中列支并事后公示。",
                ),
            )
        ],
        scope_kind="buildings",
        scope_codes=["03"],
        publicity_days=7,
        disclosure="tracker",
        created_by=committee,
    )
    clock.advance(hours=1)
    runtime.run(voting.open_ballot, ballot_ref=info.ref)
    issued = runtime.run(voting.issue_links, ballot_ref=info.ref, base_url=_BASE)
    links = list(issued.links)
    rng.shuffle(links)
    paper_voters, online = links[:2], links[2 : int(len(links) * 0.86)]
    for link in online:
        clock.advance(minutes=rng.randint(20, 200))
        runtime.run(voting.cast_vote, token=_token(link.url), choices={1: _choose(rng, 0.78, 0.12)})
    committee2 = _staff_id(runtime, "committee2")
    for link in paper_voters:
        scan = hashlib.sha256(f"demo paper form {link.member_key}".encode()).hexdigest()
        for who in (committee, committee2):
            runtime.run(
                voting.enter_paper_ballot,
                ballot_ref=info.ref,
                member_id=link.member_id,
                choices={1: "agree"},
                scan_sha256=scan,
                entered_by=who,
                is_committee=True,  # both demo keyers are committee members of the community
            )
    clock.set(info.closes_at + timedelta(minutes=5))
    runtime.run(voting.close_ballot, ballot_ref=info.ref)
    runtime.run(voting.tally_ballot, ballot_ref=info.ref)
    clock.advance(hours=20)
    runtime.run(
        voting.publish_ballot, ballot_ref=info.ref, origin_prefix=runtime.settings.log_origin
    )
    clock.advance(days=7, hours=1)
    runtime.run(voting.finalize_ballot, ballot_ref=info.ref)
    return info.ref


def _fire_safety_ballot(
    runtime: Runtime, now: datetime, rng: random.Random
) -> tuple[str, list[str]]:
    clock = FixedClock(now - timedelta(days=3))
    runtime = replace(runtime, clock=clock)
    info = runtime.run(
        voting.create_ballot,
        community_code=DEMO_CODE,
        title="江滨花园消防设施改造（使用维修资金）",
        description=(
            "小区消防给水和火灾自动报警系统老化，消防救援机构检查后责令整改。"
            "改造费用按“中央资金补一点、维修资金出一点、社会资本筹一点”分担："
            "中央老旧小区改造补助、全体业主分户维修资金，以及充电桩运营企业投资。"
        ),
        opens_at=clock.now() + timedelta(hours=1),
        closes_at=now + timedelta(days=12),
        questions=[
            QuestionDraft(
                matter="fund_use",
                text="是否同意按使用方案实施消防设施改造，并从全体业主分户维修资金列支其中部分？",
                use_plan=UsePlan(
                    repair="更换消防水泵及管网，更新火灾自动报警系统，增设电动车充电区",
                    budget_fen=128_000_000,
                    sources={
                        "subsidy": 50_000_000,
                        "maintenance_fund": 58_000_000,
                        "social_capital": 20_000_000,
                    },
                    emergency="消防水泵停运期间由物业安排临时供水和消防值守，"
                    "紧急抢修费用按应急使用程序列支并公示。",
                ),
            )
        ],
        disclosure="tracker",
        created_by=_staff_id(runtime, "committee"),
    )
    clock.advance(hours=1)
    runtime.run(voting.open_ballot, ballot_ref=info.ref)
    issued = runtime.run(voting.issue_links, ballot_ref=info.ref, base_url=_BASE)
    links = [link for link in issued.links if not link.is_developer]
    rng.shuffle(links)
    voters = links[: len(links) // 3]
    for link in voters:
        clock.advance(seconds=rng.randint(60, 400))
        runtime.run(voting.cast_vote, token=_token(link.url), choices={1: _choose(rng, 0.7, 0.18)})
    not_voted = [_token(link.url) for link in links[len(voters) : len(voters) + 5]]
    return info.ref, not_voted


def load_demo_ballots(runtime: Runtime) -> DemoBallots:
    """Create, vote, tally and publish the demo ballots; keep a few open-ballot links.

    Uses its own fixed clocks placed relative to the runtime's clock, so the finished ballot
    is weeks in the past and the open one is open now.
    """
    rng = random.Random(20261122)
    now = runtime.clock.now()
    finished = _lift_ballot(runtime, now, rng)
    open_ref, tokens = _fire_safety_ballot(runtime, now, rng)
    path = demo_links_path(runtime)
    path.write_text("".join(f"{token}\n" for token in tokens), encoding="ascii")
    path.chmod(0o600)
    return DemoBallots(finished_ref=finished, open_ref=open_ref)


def demo_links_path(runtime: Runtime) -> Path:
    """Where the demo keeps a few owner-link tokens of its open ballot."""
    return runtime.settings.instance_path / DEMO_LINKS_FILE


def demo_owner_links(runtime: Runtime, base_url: str) -> list[str]:
    """The demo's saved owner links, as URLs under ``base_url`` (empty if none were saved)."""
    path = demo_links_path(runtime)
    if not path.exists():
        return []
    base = base_url.rstrip("/")
    return [f"{base}/v/{line.strip()}" for line in path.read_text().splitlines() if line.strip()]
