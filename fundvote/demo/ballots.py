"""The demo community's ballots: two finished fund-use ballots and an open one.

- 江滨花园消防设施改造 (fire-safety works for the whole community, cost shared between a
  central subsidy, the maintenance fund and social capital, as in Quanzhou's 江滨 project):
  decided about half a year ago, final after its publicity period.
- 3号楼电梯更换 (lift replacement, building 03 only): opened about two months ago, most owners
  voted online and two on paper, tallied, published with its notice, and final.
- 2号楼、5号楼外墙渗漏修缮 (facade repair, buildings 02 and 05): open now, about a third of
  the members have voted.

The demo keeps a handful of the open ballot's links (members who have not voted yet) in
``instance/demo-links.txt`` so ``make run`` can print owner links to try. Only the demo does
this; a real ballot's links exist in clear only at the moment they are issued.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
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


def _choose(rng: random.Random, agree: float, oppose: float) -> str:
    roll = rng.random()
    return "agree" if roll < agree else "oppose" if roll < agree + oppose else "abstain"


def _token(url: str) -> str:
    return url.rsplit("/v/", 1)[1]


def staff_id(runtime: Runtime, username: str) -> int:
    user = runtime.query(auth.find_user, username)
    assert user is not None, f"demo staff user {username} missing"
    return user.user_id


def _finished_ballot(
    runtime: Runtime,
    start: datetime,
    rng: random.Random,
    *,
    title: str,
    description: str,
    question: QuestionDraft,
    scope_kind: str,
    scope_codes: list[str],
    turnout: float,
    agree: float,
    paper_voters: int,
) -> tuple[str, datetime]:
    """A fund-use ballot from draft to final, starting at ``start``: most members vote online,
    ``paper_voters`` on paper (entered twice by two committee members), then it is tallied,
    published with its notice and final after its publicity period. Returns its reference
    and the moment it became final."""
    clock = FixedClock(start)
    runtime = replace(runtime, clock=clock)  # the story's own time
    committee = staff_id(runtime, "committee")
    info = runtime.run(
        voting.create_ballot,
        community_code=DEMO_CODE,
        title=title,
        description=description,
        opens_at=clock.now() + timedelta(hours=1),
        closes_at=clock.now() + timedelta(days=14),
        questions=[question],
        scope_kind=scope_kind,
        scope_codes=scope_codes,
        publicity_days=7,
        disclosure="tracker",
        created_by=committee,
    )
    clock.advance(hours=1)
    runtime.run(voting.open_ballot, ballot_ref=info.ref)
    issued = runtime.run(voting.issue_links, ballot_ref=info.ref, base_url=_BASE)
    links = list(issued.links)
    rng.shuffle(links)
    paper, online = links[:paper_voters], links[paper_voters : int(len(links) * turnout)]
    step = max(1, int(14 * 24 * 3600 * 0.8 / max(1, len(online))))
    for link in online:
        clock.advance(seconds=rng.randint(step // 2, step))
        runtime.run(
            voting.cast_vote, token=_token(link.url), choices={1: _choose(rng, agree, 0.12)}
        )
    committee2 = staff_id(runtime, "committee2")
    for link in paper:
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
    runtime.run(voting.publish_ballot, ballot_ref=info.ref)
    clock.advance(days=7, hours=1)
    runtime.run(voting.finalize_ballot, ballot_ref=info.ref)
    return info.ref, clock.now()


def fire_safety_ballot(
    runtime: Runtime, start: datetime, rng: random.Random
) -> tuple[str, datetime]:
    """江滨花园消防设施改造: the whole community decides the fire-safety works, funded the
    Quanzhou way (central subsidy, maintenance fund, social capital)."""
    return _finished_ballot(
        runtime,
        start,
        rng,
        title="江滨花园消防设施改造（使用维修资金）",
        description=(
            "小区消防给水和火灾自动报警系统老化，消防救援机构检查后责令整改。"
            "改造费用按“中央资金补一点、维修资金出一点、社会资本筹一点”分担："
            "中央老旧小区改造补助、全体业主分户维修资金，以及充电桩运营企业投资。"
        ),
        question=QuestionDraft(
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
        ),
        scope_kind="community",
        scope_codes=[],
        turnout=0.82,
        agree=0.8,
        paper_voters=0,
    )


def lift_ballot(runtime: Runtime, start: datetime, rng: random.Random) -> tuple[str, datetime]:
    """3号楼电梯更换: building 03's owners decide to replace its two lifts."""
    return _finished_ballot(
        runtime,
        start,
        rng,
        title="3号楼电梯更换（使用维修资金）",
        description=(
            "3号楼两部电梯已运行18年，近一年停梯故障11次，经特种设备检验机构评估建议更换。"
            "物业服务企业提出使用方案：更换两部电梯，费用由政府老旧电梯更新补助和3号楼业主"
            "分户维修资金共同承担。按《民法典》第二百七十八条，由3号楼业主表决。"
        ),
        question=QuestionDraft(
            matter="fund_use",
            text="是否同意按使用方案更换3号楼两部电梯，并从3号楼分户维修资金列支？",
            use_plan=UsePlan(
                repair="更换3号楼两部乘客电梯（含拆除、安装、检验）",
                budget_fen=86_000_000,
                sources={"subsidy": 20_000_000, "maintenance_fund": 66_000_000},
                emergency="施工期间如发生困人等紧急情况，由物业24小时值班电话处置，"
                "费用在不可预见费中列支并事后公示。",
            ),
        ),
        scope_kind="buildings",
        scope_codes=["03"],
        turnout=0.86,
        agree=0.78,
        paper_voters=2,
    )


def open_ballot(
    runtime: Runtime, start: datetime, closes_at: datetime, rng: random.Random
) -> tuple[str, list[str]]:
    """2号楼、5号楼外墙修缮: open now, about a third of the members have voted. Returns its
    reference and a few links of members who have not voted yet."""
    clock = FixedClock(start)
    runtime = replace(runtime, clock=clock)
    info = runtime.run(
        voting.create_ballot,
        community_code=DEMO_CODE,
        title="2号楼、5号楼外墙渗漏修缮（使用维修资金）",
        description=(
            "2号楼、5号楼外墙瓷砖空鼓脱落、雨季多户渗漏，经检测须修缮。物业服务企业提出"
            "使用方案：铲除空鼓瓷砖、改做真石漆并重做防水，费用从两栋楼业主分户维修资金列支。"
        ),
        opens_at=clock.now() + timedelta(hours=1),
        closes_at=closes_at,
        questions=[
            QuestionDraft(
                matter="fund_use",
                text="是否同意按使用方案修缮2号楼、5号楼外墙，并从两栋楼分户维修资金列支？",
                use_plan=UsePlan(
                    repair="2号楼、5号楼外墙空鼓瓷砖铲除、真石漆饰面及防水层重做",
                    budget_fen=156_000_000,
                    sources={"maintenance_fund": 156_000_000},
                    emergency="施工期间如有瓷砖坠落风险，立即设置警戒区并按应急程序处置，事后公示。",
                ),
            )
        ],
        scope_kind="buildings",
        scope_codes=["02", "05"],
        disclosure="tracker",
        created_by=staff_id(runtime, "committee"),
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


def save_demo_links(runtime: Runtime, tokens: list[str]) -> None:
    """Keep a few open-ballot link tokens for ``make run`` to print (the demo only)."""
    path = demo_links_path(runtime)
    path.write_text("".join(f"{token}\n" for token in tokens), encoding="ascii")
    path.chmod(0o600)


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
