"""Proxies: recorded, used through the acting member's link, revocable until used; and
objections during the publicity period."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from fundvote.runtime import Runtime
from tests.services.voting.owner_helpers import (
    issue_all,
    log_entries,
    log_text,
    make_register,
    member_id_of,
    open_ballot,
    tokens_by_unit,
)
from voting import ballots
from voting.casting import cast_vote
from voting.credentials import open_link
from voting.errors import (
    AlreadyVoted,
    IllegalTransition,
    InvalidObjection,
    NotEligible,
    NotInPublicity,
    ProxyExists,
    ProxyInvalid,
    ProxyNotFound,
    ProxyUsed,
)
from voting.link_view import link_receipt
from voting.objections import lodge_objection, objections_for_link
from voting.proxies import ProxyInfo, list_proxies, record_proxy, revoke_proxy

AUTH = hashlib.sha256(b"signed authorization").hexdigest()
CHOICES = {1: "agree", 2: "oppose"}


@pytest.fixture
def setup(runtime: Runtime) -> tuple[str, dict[str, str]]:
    make_register(runtime)
    info = open_ballot(runtime)
    return info.ref, tokens_by_unit(issue_all(runtime, info.ref))


def proxy(runtime: Runtime, ref: str, represented: str, acting: str, **kw: Any) -> ProxyInfo:
    return runtime.run(
        record_proxy,
        ballot_ref=ref,
        member_id=member_id_of(runtime, ref, represented),
        acting_member_id=member_id_of(runtime, ref, acting),
        authorization_sha256=str(kw.get("auth", AUTH)),
        recorded_by=7,
    )


def test_acting_member_casts_for_the_represented(
    runtime: Runtime, setup: tuple[str, dict[str, str]]
) -> None:
    ref, tokens = setup
    info = proxy(runtime, ref, "1-103", "1-101")
    assert info.member_units == ("1-103",) and info.acting_units == ("1-101", "2-101")
    view = runtime.query(open_link, token=tokens["1-101"])
    [rep] = view.represented
    assert rep.member.member_id == info.member_id and rep.receipt is None
    assert rep.questions[0].member_share_fen == 150_889
    receipt = runtime.run(
        cast_vote, token=tokens["1-101"], choices=CHOICES, for_member=info.member_id
    )
    assert receipt.data["channel"] == "proxy"
    repeated = runtime.run(
        cast_vote, token=tokens["1-101"], choices=CHOICES, for_member=info.member_id
    )
    assert repeated == receipt  # a repeated proxy cast gets the stored receipt
    assert receipt.data["weights"]["area"] == "100.00"
    event = log_entries(runtime, prefix="voting.ballot_cast")[0]["data"]
    assert event["proxy"]["acting_member"] == info.acting_member_key
    assert event["member"] == info.member_key
    # The acting member still has their own vote.
    own = runtime.run(cast_vote, token=tokens["1-101"], choices=CHOICES)
    assert own.data["channel"] == "online"
    # The represented member's own link now shows the proxy's ballot, and refuses another.
    assert runtime.query(open_link, token=tokens["1-103"]).has_voted
    with pytest.raises(AlreadyVoted):
        runtime.run(cast_vote, token=tokens["1-103"], choices=CHOICES)
    assert runtime.query(link_receipt, token=tokens["1-101"], for_member=info.member_id) == receipt
    with pytest.raises(ProxyUsed):
        runtime.run(revoke_proxy, ballot_ref=ref, proxy_id=info.proxy_id)
    [listed] = runtime.query(list_proxies, ballot_ref=ref)
    assert listed.is_used and listed.revoked_at is None
    recorded = log_entries(runtime, prefix="voting.proxy_recorded")[0]["data"]
    assert recorded["member"] == info.member_key and recorded["authorization_sha256"] == AUTH


def test_only_the_acting_member_may_cast_for_the_represented(
    runtime: Runtime, setup: tuple[str, dict[str, str]]
) -> None:
    ref, tokens = setup
    info = proxy(runtime, ref, "1-103", "1-101")
    with pytest.raises(NotEligible):
        runtime.run(cast_vote, token=tokens["2-102"], choices=CHOICES, for_member=info.member_id)
    runtime.run(revoke_proxy, ballot_ref=ref, proxy_id=info.proxy_id)
    with pytest.raises(NotEligible):
        runtime.run(cast_vote, token=tokens["1-101"], choices=CHOICES, for_member=info.member_id)
    assert runtime.query(open_link, token=tokens["1-101"]).represented == ()
    assert log_entries(runtime, prefix="voting.proxy_revoked")
    with pytest.raises(ProxyNotFound):
        runtime.run(revoke_proxy, ballot_ref=ref, proxy_id=info.proxy_id)
    # After revocation a new proxy may be recorded.
    proxy(runtime, ref, "1-103", "2-102")


def test_proxy_refusals(runtime: Runtime, setup: tuple[str, dict[str, str]]) -> None:
    ref, tokens = setup
    with pytest.raises(ProxyInvalid):
        proxy(runtime, ref, "1-103", "1-103")
    with pytest.raises(ProxyInvalid):
        proxy(runtime, ref, "1-103", "1-101", auth="not-a-hash")
    proxy(runtime, ref, "1-103", "1-101")
    with pytest.raises(ProxyExists):
        proxy(runtime, ref, "1-103", "2-102")
    with pytest.raises(ProxyInvalid):  # the represented member cannot act for others
        proxy(runtime, ref, "2-102", "1-103")
    with pytest.raises(ProxyInvalid):  # the acting member cannot be represented
        proxy(runtime, ref, "1-101", "2-102")
    runtime.run(cast_vote, token=tokens["1-102"], choices=CHOICES)
    with pytest.raises(AlreadyVoted):
        proxy(runtime, ref, "1-102", "2-102")
    with pytest.raises(NotEligible):
        runtime.run(
            record_proxy,
            ballot_ref=ref,
            member_id=999999,
            acting_member_id=member_id_of(runtime, ref, "2-102"),
            authorization_sha256=AUTH,
        )
    assert "张三明" not in log_text(runtime)


# -- objections -----------------------------------------------------------------------------


def test_objections_only_during_publicity(
    runtime: Runtime, setup: tuple[str, dict[str, str]]
) -> None:
    ref, tokens = setup
    sf, clock = runtime.session_factory, runtime.clock
    with pytest.raises(NotInPublicity):
        runtime.run(lodge_objection, token=tokens["1-101"], text="计票有误")
    runtime.run(cast_vote, token=tokens["1-101"], choices=CHOICES)
    with sf() as s:
        closes = ballots.get_ballot(s, ref).closes_at
    clock.set(closes)  # type: ignore[attr-defined]
    runtime.run(ballots.close_ballot, ballot_ref=ref)
    runtime.run(ballots.tally_ballot, ballot_ref=ref)
    runtime.run(ballots.publish_ballot, ballot_ref=ref, origin_prefix="fundvote.test")
    with pytest.raises(InvalidObjection):
        runtime.run(lodge_objection, token=tokens["1-101"], text="   ")
    with pytest.raises(InvalidObjection):
        runtime.run(lodge_objection, token=tokens["1-101"], text="长" * 2001)
    text = "我的电话13812341234,计票有误"
    lodged = runtime.run(lodge_objection, token=tokens["1-101"], text=text)
    # A member who did not vote may object too.
    runtime.run(lodge_objection, token=tokens["2-102"], text="未收到通知")
    assert [o.objection_id for o in runtime.query(objections_for_link, token=tokens["1-101"])] == [
        lodged.objection_id
    ]
    event = log_entries(runtime, prefix="voting.objection_lodged")[0]["data"]
    assert event["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert "13812341234" not in log_text(runtime) and "计票有误" not in log_text(runtime)
    clock.advance(days=7, seconds=1)  # type: ignore[attr-defined]
    with pytest.raises(NotInPublicity):
        runtime.run(lodge_objection, token=tokens["1-101"], text="太晚了")


def test_proxy_not_after_close(runtime: Runtime, setup: tuple[str, dict[str, str]]) -> None:
    ref, _tokens = setup
    with runtime.session_factory() as s:
        closes = ballots.get_ballot(s, ref).closes_at
    runtime.clock.set(closes)  # type: ignore[attr-defined]
    runtime.run(ballots.close_ballot, ballot_ref=ref)
    with pytest.raises(IllegalTransition):
        proxy(runtime, ref, "1-103", "1-101")
