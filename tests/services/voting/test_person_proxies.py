"""Proxies who are any natural person: recorded with name, encrypted phone and a keyed HMAC of
the ID number (none of it in the log), a link of their own that casts the member's one vote
once, checked with the proxy's own phone or ID number, revocable until a ballot is cast."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from tests.services.voting.owner_helpers import (
    BASE_URL,
    issue_all,
    log_entries,
    log_text,
    make_register,
    member_id_of,
    open_ballot,
    token_of,
    tokens_by_unit,
)
from voting.casting import cast_vote
from voting.credentials import open_link, verify_identity
from voting.errors import (
    AlreadyVoted,
    IdentityCheckFailed,
    NotEligible,
    ProxyInvalid,
    ProxyUsed,
    RepresentedByProxy,
    UnknownLink,
)
from voting.identity import request_identity_code
from voting.links import link_counts
from voting.models import Proxy
from voting.proxies import ProxyPerson, issue_proxy_link, list_proxies, record_proxy, revoke_proxy

AUTH = hashlib.sha256(b"authorization").hexdigest()
CHOICES = {1: "agree", 2: "oppose"}
PROXY_ID = "11010519491231002X"


def person_proxy(rt: Runtime, ref: str, unit: str, **person: str):  # type: ignore[no-untyped-def]
    return rt.run(
        record_proxy,
        ballot_ref=ref,
        member_id=member_id_of(rt, ref, unit),
        person=ProxyPerson(
            name=person.get("name", "陈小红"),
            phone=person.get("phone", "135 0000 4444"),
            id_number=person.get("id_number", PROXY_ID),
        ),
        authorization_sha256=AUTH,
        cipher=rt.cipher,
        recorded_by=7,
    )


def proxy_token(rt: Runtime, ref: str, proxy_id: int) -> str:
    issued = rt.run(issue_proxy_link, ballot_ref=ref, proxy_id=proxy_id, base_url=BASE_URL, actor=7)
    return token_of(issued.links[0].url)


def test_person_proxy_is_kept_protected_and_casts_once_through_its_link(runtime: Runtime) -> None:
    make_register(runtime)
    info = open_ballot(runtime)
    ref = info.ref
    own = tokens_by_unit(issue_all(runtime, ref))
    proxy = person_proxy(runtime, ref, "1-101")
    assert proxy.is_person and proxy.acting_label == "陈*红" and proxy.acting_member_id is None
    assert proxy.has_phone and proxy.has_id_number and not proxy.has_link
    with runtime.session_factory() as s:
        row = s.get_one(Proxy, proxy.proxy_id)
        assert (
            row.proxy_id_hmac and row.proxy_id_hmac != hashlib.sha256(PROXY_ID.encode()).hexdigest()
        )
        assert row.proxy_phone_enc and b"13500004444" not in row.proxy_phone_enc
    token = proxy_token(runtime, ref, proxy.proxy_id)
    view = runtime.query(open_link, token=token)
    assert view.is_proxy_link and view.member.units[0].unit_code == "1-101"
    assert view.member.holder_label == "张*明"
    # The member's own link does not cast while the proxy holds the vote.
    assert runtime.query(open_link, token=own["1-101"]).is_represented
    with pytest.raises(RepresentedByProxy):
        runtime.run(cast_vote, token=own["1-101"], choices=CHOICES)
    receipt = runtime.run(cast_vote, token=token, choices=CHOICES)
    assert receipt.data["channel"] == "proxy"
    assert runtime.run(cast_vote, token=token, choices=CHOICES) == receipt  # a retry
    with pytest.raises(AlreadyVoted):
        runtime.run(cast_vote, token=token, choices={1: "oppose", 2: "oppose"})
    with pytest.raises(AlreadyVoted):
        runtime.run(cast_vote, token=own["1-101"], choices=CHOICES)
    with pytest.raises(ProxyUsed):
        runtime.run(revoke_proxy, ballot_ref=ref, proxy_id=proxy.proxy_id)
    cast = log_entries(runtime, prefix="voting.ballot_cast")[0]["data"]
    assert cast["proxy"] == {"acting": "person", "authorization_sha256": AUTH}
    recorded = log_entries(runtime, prefix="voting.proxy_recorded")[0]["data"]
    assert recorded["acting"] == "person" and "acting_member" not in recorded
    text = log_text(runtime)
    for secret in ("陈小红", "13500004444", PROXY_ID, token):
        assert secret not in text
    [listed] = runtime.query(list_proxies, ballot_ref=ref)
    assert listed.is_used and listed.has_link
    # Proxy links are not counted among the members' own links.
    with runtime.session_factory() as s:
        assert link_counts(s, ref).live == 5


def test_revoking_the_proxy_kills_its_link_and_frees_the_own_link(runtime: Runtime) -> None:
    make_register(runtime)
    ref = open_ballot(runtime).ref
    own = tokens_by_unit(issue_all(runtime, ref))
    proxy = person_proxy(runtime, ref, "1-103", phone="", id_number="")
    first = proxy_token(runtime, ref, proxy.proxy_id)
    second = proxy_token(runtime, ref, proxy.proxy_id)  # reissued: the first is dead
    with pytest.raises(UnknownLink):
        runtime.query(open_link, token=first)
    runtime.run(revoke_proxy, ballot_ref=ref, proxy_id=proxy.proxy_id)
    with pytest.raises(UnknownLink):
        runtime.run(cast_vote, token=second, choices=CHOICES)
    assert log_entries(runtime, prefix="voting.proxy_revoked")[0]["data"]["links_revoked"] == 1
    runtime.run(cast_vote, token=own["1-103"], choices=CHOICES)


def test_person_proxy_refusals(runtime: Runtime) -> None:
    make_register(runtime)
    ref = open_ballot(runtime).ref
    issue_all(runtime, ref)
    for bad in ({"name": " "}, {"phone": "12"}, {"id_number": "110105194912310021"}):
        with pytest.raises(ProxyInvalid) as exc:
            person_proxy(runtime, ref, "1-101", **bad)
        assert "110105194912310021" not in str(exc.value)
    with pytest.raises(ProxyInvalid):  # both a member and a person
        runtime.run(
            record_proxy,
            ballot_ref=ref,
            member_id=member_id_of(runtime, ref, "1-101"),
            acting_member_id=member_id_of(runtime, ref, "1-103"),
            person=ProxyPerson(name="陈小红"),
            authorization_sha256=AUTH,
            cipher=runtime.cipher,
        )
    member_proxy = runtime.run(
        record_proxy,
        ballot_ref=ref,
        member_id=member_id_of(runtime, ref, "1-101"),
        acting_member_id=member_id_of(runtime, ref, "1-103"),
        authorization_sha256=AUTH,
    )
    with pytest.raises(ProxyInvalid):  # a member proxy votes through their own link
        proxy_token(runtime, ref, member_proxy.proxy_id)


def test_proxy_link_checks_the_proxys_own_phone_and_id(runtime: Runtime) -> None:
    make_register(runtime)
    sms = open_ballot(runtime, identity_check="sms_code").ref
    issue_all(runtime, sms)
    proxy = person_proxy(runtime, sms, "1-101")
    token = proxy_token(runtime, sms, proxy.proxy_id)
    sent = runtime.run(request_identity_code, token=token, cipher=runtime.cipher)
    assert sent.phones == ("13500004444",)  # the proxy's, not the owner's
    runtime.run(verify_identity, token=token, digits=sent.code, cipher=runtime.cipher)
    assert not runtime.query(open_link, token=token).needs_identity
    ids = open_ballot(runtime, identity_check="id_last4").ref
    issue_all(runtime, ids)
    proxy = person_proxy(runtime, ids, "1-101")
    token = proxy_token(runtime, ids, proxy.proxy_id)
    with pytest.raises(IdentityCheckFailed):  # the last four alone are not enough
        runtime.run(verify_identity, token=token, digits="002X", cipher=runtime.cipher)
    runtime.run(verify_identity, token=token, digits="110105 19491231 002x", cipher=runtime.cipher)
    assert not runtime.query(open_link, token=token).needs_identity
    with pytest.raises(NotEligible):  # a proxy link casts only for its member
        runtime.run(cast_vote, token=token, choices=CHOICES, for_member=1)


def test_member_proxy_keeps_working_and_holds_the_vote(runtime: Runtime) -> None:
    make_register(runtime)
    ref = open_ballot(runtime).ref
    own = tokens_by_unit(issue_all(runtime, ref))
    info = runtime.run(
        record_proxy,
        ballot_ref=ref,
        member_id=member_id_of(runtime, ref, "1-103"),
        acting_member_id=member_id_of(runtime, ref, "1-101"),
        authorization_sha256=AUTH,
    )
    with pytest.raises(RepresentedByProxy):
        runtime.run(cast_vote, token=own["1-103"], choices=CHOICES)
    runtime.run(cast_vote, token=own["1-101"], choices=CHOICES, for_member=info.member_id)
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Proxy)) == 1
