"""The sms_code identity check (one-time code: hashed at rest, expiring, rate-limited, spent
once), and the committee's confirmation of an owner with nothing on record."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from fundvote.runtime import Runtime
from tests.services.voting.owner_helpers import (
    issue_all,
    log_entries,
    log_text,
    make_register,
    member_id_of,
    open_ballot,
    set_id_number,
    tokens_by_unit,
)
from voting.casting import cast_vote
from voting.credentials import open_link, reissue_link, verify_identity
from voting.errors import (
    IdentityCheckFailed,
    IdentityCheckRequired,
    IdentityCodeLimit,
    IdentityLocked,
    IdentityOnRecord,
    IllegalTransition,
)
from voting.identity import (
    confirm_identity,
    identity_confirmations,
    request_identity_code,
)
from voting.models import IdentityCode

CHOICES = {1: "agree", 2: "oppose"}


@pytest.fixture
def tokens(runtime: Runtime) -> dict[str, str]:
    make_register(runtime)
    info = open_ballot(runtime, identity_check="sms_code")
    return tokens_by_unit(issue_all(runtime, info.ref))


def ask(rt: Runtime, token: str):  # type: ignore[no-untyped-def]
    return rt.run(request_identity_code, token=token, cipher=rt.cipher)


def check(rt: Runtime, token: str, code: str) -> None:
    rt.run(verify_identity, token=token, digits=code, cipher=rt.cipher)


def test_code_goes_to_every_phone_on_record_and_is_kept_only_as_keyed_hash(
    runtime: Runtime, tokens: dict[str, str]
) -> None:
    sent = ask(runtime, tokens["1-102"])  # co-owners o2, o3
    assert sorted(sent.phones) == ["13700002222", "13900001111"]
    assert len(sent.code) == 6 and sent.code.isdigit()
    assert sent.code not in repr(sent) and "1390000" not in repr(sent)
    with runtime.session_factory() as s:
        [row] = s.scalars(sa.select(IdentityCode)).all()
        assert row.code_hmac != hashlib.sha256(sent.code.encode()).hexdigest()
        assert sent.code not in row.code_hmac
        assert (row.expires_at - row.sent_at).total_seconds() == 600
    event = log_entries(runtime, prefix="voting.identity_code_sent")[0]["data"]
    assert set(event) == {"ballot", "member"}
    assert sent.code not in log_text(runtime) and "13700002222" not in log_text(runtime)
    with pytest.raises(IdentityCheckRequired):
        runtime.run(cast_vote, token=tokens["1-102"], choices=CHOICES)
    check(runtime, tokens["1-102"], f" {sent.code[:3]} {sent.code[3:]} ")
    assert not runtime.query(open_link, token=tokens["1-102"]).needs_identity
    runtime.run(cast_vote, token=tokens["1-102"], choices=CHOICES)


def test_code_expires_after_ten_minutes_and_is_spent_once(
    runtime: Runtime, tokens: dict[str, str]
) -> None:
    token = tokens["1-101"]
    sent = ask(runtime, token)
    runtime.clock.advance(minutes=10)  # type: ignore[attr-defined]
    with pytest.raises(IdentityCheckFailed) as exc:
        check(runtime, token, sent.code)
    assert exc.value.params["reason"] == "no-code"
    fresh = ask(runtime, token)
    check(runtime, token, fresh.code)
    # Spent: the link is verified and the code is marked used; a reissued link needs a new one.
    with runtime.session_factory() as s:
        assert s.scalars(sa.select(IdentityCode.used_at).order_by(IdentityCode.id)).all()[-1]
    ref = runtime.query(open_link, token=token).ballot_ref
    new = runtime.run(
        reissue_link,
        ballot_ref=ref,
        member_id=member_id_of(runtime, ref, "1-101"),
        base_url="https://vote.example",
    )
    new_token = new.links[0].url.rsplit("/v/", 1)[1]
    with pytest.raises(IdentityCheckFailed) as exc:
        check(runtime, new_token, fresh.code)
    assert exc.value.params["reason"] == "no-code"


def test_only_the_newest_code_counts(runtime: Runtime, tokens: dict[str, str]) -> None:
    token = tokens["1-101"]
    first = ask(runtime, token)
    second = ask(runtime, token)
    if first.code != second.code:
        with pytest.raises(IdentityCheckFailed) as exc:
            check(runtime, token, first.code)
        assert exc.value.params["reason"] == "mismatch"
    check(runtime, token, second.code)


def test_three_codes_per_link_per_hour(runtime: Runtime, tokens: dict[str, str]) -> None:
    token = tokens["2-102"]
    for _ in range(3):
        ask(runtime, token)
        runtime.clock.advance(minutes=10)  # type: ignore[attr-defined]
    with pytest.raises(IdentityCodeLimit) as exc:
        ask(runtime, token)
    assert exc.value.params["until"]
    ask(runtime, tokens["1-101"])  # another link is not limited
    runtime.clock.advance(minutes=30, seconds=1)  # type: ignore[attr-defined]
    ask(runtime, token)  # the first code is more than an hour old


def test_wrong_codes_lock_the_link(runtime: Runtime, tokens: dict[str, str]) -> None:
    token = tokens["1-101"]
    sent = ask(runtime, token)
    wrong = f"{(int(sent.code) + 1) % 1_000_000:06d}"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(IdentityCheckFailed) as exc:
            check(runtime, token, wrong)
        assert exc.value.params["remaining"] == remaining
    with pytest.raises(IdentityLocked):
        check(runtime, token, wrong)
    with pytest.raises(IdentityLocked):
        check(runtime, token, sent.code)  # even the right code while locked
    with pytest.raises(IdentityLocked):
        ask(runtime, token)  # and no new code either


def test_no_phone_on_record_and_the_committee_confirms(
    runtime: Runtime, tokens: dict[str, str]
) -> None:
    ref = runtime.query(open_link, token=tokens["2-S01"]).ballot_ref
    for unit in ("2-S01", "1-103"):  # the developer; an owner without a phone
        with pytest.raises(IdentityCheckFailed) as exc:
            ask(runtime, tokens[unit])
        assert exc.value.params["reason"] == "no-data"
    with pytest.raises(IdentityOnRecord):  # an owner with a phone confirms through the link
        runtime.run(
            confirm_identity,
            ballot_ref=ref,
            member_id=member_id_of(runtime, ref, "1-101"),
            checked_by=7,
            cipher=runtime.cipher,
        )
    done = runtime.run(
        confirm_identity,
        ballot_ref=ref,
        member_id=member_id_of(runtime, ref, "2-S01"),
        checked_by=7,
        cipher=runtime.cipher,
    )
    assert done.units == ("2-S01",) and done.confirmed_by == 7
    assert not runtime.query(open_link, token=tokens["2-S01"]).needs_identity
    runtime.run(cast_vote, token=tokens["2-S01"], choices=CHOICES)
    [listed] = runtime.query(identity_confirmations, ballot_ref=ref)
    assert listed.member_id == done.member_id
    event = log_entries(runtime, prefix="voting.identity_confirmed")[0]["data"]
    assert event == {
        "ballot": ref,
        "member": done.member_key,
        "check": "sms_code",
        "by": 7,
    }


def test_confirmation_needs_an_identity_check_and_a_live_link(runtime: Runtime) -> None:
    make_register(runtime)
    plain = open_ballot(runtime)
    with pytest.raises(IllegalTransition):
        runtime.run(
            confirm_identity,
            ballot_ref=plain.ref,
            member_id=member_id_of(runtime, plain.ref, "2-S01"),
            checked_by=7,
            cipher=runtime.cipher,
        )
    checked = open_ballot(runtime, identity_check="id_last4")
    with pytest.raises(IllegalTransition):  # no link issued yet
        runtime.run(
            confirm_identity,
            ballot_ref=checked.ref,
            member_id=member_id_of(runtime, checked.ref, "2-S01"),
            checked_by=7,
            cipher=runtime.cipher,
        )


def test_id_last4_reads_the_kept_last_four(runtime: Runtime) -> None:
    make_register(runtime)
    set_id_number(runtime, "o6", "E12345678")
    info = open_ballot(runtime, identity_check="id_last4")
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    with pytest.raises(IdentityCheckFailed):
        check(runtime, tokens["2-102"], "5679")
    check(runtime, tokens["2-102"], "5678")
    with pytest.raises(IllegalTransition):  # codes are for sms_code ballots only
        ask(runtime, tokens["1-101"])
