"""Personal links: issuing, reissuing, resolving, delivery, and the identity check."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from datetime import timedelta
from pathlib import Path

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
    set_id_number,
    token_of,
    tokens_by_unit,
)
from voting import ballots
from voting.credentials import (
    deliver_links,
    issue_links,
    links_csv,
    open_link,
    reissue_link,
    verify_identity,
)
from voting.errors import (
    IdentityCheckFailed,
    IdentityLocked,
    IllegalTransition,
    LinkAlreadyIssued,
    NotEligible,
    UnknownLink,
)
from voting.models import Credential
from voting.outbox import ConsoleSender, FileSender, Message, Outbox, SmtpSender, sender_from_env


@pytest.fixture
def ballot(runtime: Runtime) -> ballots.BallotInfo:
    make_register(runtime)
    return open_ballot(runtime)


def test_issue_links_one_per_member_stored_only_as_hash(
    runtime: Runtime, ballot: ballots.BallotInfo
) -> None:
    issued = issue_all(runtime, ballot.ref)
    assert len(issued.links) == 5  # o1 (two units), o2+o3, o4, o6, developer
    by_units = {link.unit_codes: link for link in issued.links}
    assert by_units[("1-101", "2-101")].area_centi == 20937
    assert set(by_units[("1-102",)].holder_label.split("、")) == {"李*", "王*六"}
    assert by_units[("2-102",)].holder_label == "欧**娜"
    assert by_units[("2-S01",)].is_developer and by_units[("2-S01",)].holder_label == ""
    tokens = [token_of(link.url) for link in issued.links]
    assert all(link.url.startswith(BASE_URL + "/v/") for link in issued.links)
    assert all(len(t) >= 32 for t in tokens) and len(set(tokens)) == 5
    with runtime.session_factory() as s:
        stored = set(s.scalars(sa.select(Credential.token_hash)))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    text = log_text(runtime)
    assert all(t not in text for t in tokens)
    assert "张三明" not in text and "13812341234" not in text
    event = log_entries(runtime, prefix="voting.links_issued")[0]
    assert len(event["data"]["members"]) == 5
    assert repr(issued.links[0]).startswith("IssuedLink(member_key=")
    assert tokens[0] not in repr(issued)


def test_second_issue_is_refused_and_reissue_replaces(
    runtime: Runtime, ballot: ballots.BallotInfo
) -> None:
    issued = issue_all(runtime, ballot.ref)
    with pytest.raises(LinkAlreadyIssued):
        issue_all(runtime, ballot.ref)
    member = member_id_of(runtime, ballot.ref, "1-103")
    with pytest.raises(LinkAlreadyIssued):
        runtime.run(issue_links, ballot_ref=ballot.ref, base_url=BASE_URL, members=[member])
    old = tokens_by_unit(issued)["1-103"]
    assert runtime.query(open_link, token=old).member.member_id == (member)
    new = runtime.run(
        reissue_link, ballot_ref=ballot.ref, member_id=member, base_url=BASE_URL
    ).links[0]
    with pytest.raises(UnknownLink) as exc:
        runtime.query(open_link, token=old)
    assert exc.value.params["reason"] == "revoked"
    view = runtime.query(open_link, token=token_of(new.url))
    assert view.member.member_id == member
    event = log_entries(runtime, prefix="voting.link_reissued")[0]["data"]
    assert event["member"].startswith("m") and event["revoked"] == 1
    assert token_of(new.url) not in log_text(runtime) and old not in log_text(runtime)
    with runtime.session_factory() as s:
        live = s.scalar(
            sa.select(sa.func.count())
            .select_from(Credential)
            .where(Credential.member_id == member, Credential.revoked_at.is_(None))
        )
    assert live == 1


def test_issue_for_some_members_and_refusals(runtime: Runtime, ballot: ballots.BallotInfo) -> None:
    one = member_id_of(runtime, ballot.ref, "2-102")
    issued = runtime.run(issue_links, ballot_ref=ballot.ref, base_url=BASE_URL, members=[one])
    assert [link.member_id for link in issued.links] == [one]
    with pytest.raises(NotEligible):
        runtime.run(issue_links, ballot_ref=ballot.ref, base_url=BASE_URL, members=[999999])
    draft = runtime.run(
        ballots.create_ballot,
        community_code="JB01",
        title="草稿",
        description="",
        opens_at=runtime.clock.now() + timedelta(hours=1),
        closes_at=runtime.clock.now() + timedelta(days=3),
        questions=[ballots.QuestionDraft("other", "问题")],
    )
    with pytest.raises(IllegalTransition):
        issue_all(runtime, draft.ref)


def test_unknown_tokens(runtime: Runtime, ballot: ballots.BallotInfo) -> None:
    for token in ("demo", "x" * 32, "", "a" * 500):
        with pytest.raises(UnknownLink):
            runtime.query(open_link, token=token)


def test_open_link_shows_units_and_share(runtime: Runtime, ballot: ballots.BallotInfo) -> None:
    token = tokens_by_unit(issue_all(runtime, ballot.ref))["1-101"]
    view = runtime.query(open_link, token=token)
    assert [u.unit_code for u in view.member.units] == ["1-101", "2-101"]
    assert view.member.area_centi == 20937
    assert view.is_accepting and not view.has_voted and not view.needs_identity
    fund_q = view.questions[0]
    assert fund_q.matter == "fund_use" and fund_q.fund_part_fen == 1_000_000
    # 1,000,000 fen over 66,274 centi-m² by largest remainder: 1-101 134,849, 2-101 181,067.
    assert fund_q.member_share_fen == 134_849 + 181_067
    assert view.questions[1].member_share_fen is None
    # The shares of all members add up to the fund part exactly.
    total = 0
    for unit in ("1-101", "1-102", "1-103", "2-102", "2-S01"):
        link = runtime.run(
            reissue_link,
            ballot_ref=ballot.ref,
            member_id=member_id_of(runtime, ballot.ref, unit),
            base_url=BASE_URL,
        ).links[0]
        page = runtime.query(open_link, token=token_of(link.url))
        total += page.questions[0].member_share_fen or 0
    assert total == 1_000_000


def test_links_csv(runtime: Runtime, ballot: ballots.BallotInfo) -> None:
    issued = issue_all(runtime, ballot.ref)
    data = links_csv(
        issued, header=("units", "owners", "area", "link"), developer_label="建设单位"
    ).decode("utf-8")
    assert data.startswith("\ufeffunits,owners,area,link\r\n")
    assert "1-101 2-101,张*明,209.37,https://vote.example/v/" in data
    assert "2-S01,建设单位,200.00," in data
    assert "张三明" not in data and "13812341234" not in data


def test_deliver_links_to_file_outbox(
    runtime: Runtime, ballot: ballots.BallotInfo, tmp_path: Path
) -> None:
    issued = issue_all(runtime, ballot.ref)
    outbox_dir = tmp_path / "outbox"
    report = runtime.query(
        deliver_links,
        issued=issued,
        cipher=runtime.cipher,
        outbox=Outbox(FileSender(outbox_dir)),
        compose=lambda i, link: (f"{i.ballot_title}", f"请投票:{link.url}"),
    )
    # o1 (one phone for two units), o2 and o3 (two phones), o6; o4 has none; developer none.
    assert report.sent == 4 and report.failed_member_keys == ()
    files = sorted(outbox_dir.iterdir())
    assert len(files) == 4
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert any("To: 13812341234" in t for t in texts)
    urls = {link.url for link in issued.links}
    assert all(any(u in t for u in urls) for t in texts)
    assert all("张三明" not in f.name and "13812341234" not in f.name for f in files)


def test_console_and_smtp_senders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = io.StringIO()
    ConsoleSender(out).send(Message("13800000000", "主题", "正文", "m1"))
    assert "To: 13800000000" in out.getvalue()
    assert "13800000000" not in repr(Message("13800000000", "s", "b", "m1"))
    assert isinstance(sender_from_env({}, outbox_dir=tmp_path), FileSender)
    env = {
        "FUNDVOTE_OUTBOX": "smtp",
        "FUNDVOTE_SMTP_HOST": "smtp.example",
        "FUNDVOTE_SMTP_PORT": "2525",
        "FUNDVOTE_SMTP_FROM": "committee@example",
        "FUNDVOTE_SMTP_TO_TEMPLATE": "{phone}@sms-gateway.example",
    }
    smtp = sender_from_env(env, outbox_dir=tmp_path)
    assert isinstance(smtp, SmtpSender) and smtp.port == 2525
    assert smtp.address("138-1234 1234") == "13812341234@sms-gateway.example"

    sent: list[object] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            assert (host, port) == ("smtp.example", 2525)

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def has_extn(self, name: str) -> bool:
            return False

        def send_message(self, message: object) -> None:
            sent.append(message)

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    report = Outbox(smtp).deliver([Message("13812341234", "主题", "正文", "m1")])
    assert report.sent == 1
    assert sent[0]["To"] == "13812341234@sms-gateway.example"  # type: ignore[index]
    from voting.outbox import OutboxMisconfigured

    with pytest.raises(OutboxMisconfigured):
        sender_from_env({"FUNDVOTE_OUTBOX": "smtp"}, outbox_dir=tmp_path)
    with pytest.raises(OutboxMisconfigured):
        sender_from_env({"FUNDVOTE_OUTBOX": "pigeon"}, outbox_dir=tmp_path)


def test_outbox_counts_failures_without_stopping() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        def send(self, message: Message) -> None:
            self.calls += 1
            if message.member_key == "bad":
                raise OSError("gateway down")

    flaky = Flaky()
    report = Outbox(flaky).deliver(
        [
            Message("1", "s", "b", "ok1"),
            Message("2", "s", "b", "bad"),
            Message("3", "s", "b", "ok2"),
        ]
    )
    assert (report.sent, report.failed_member_keys, flaky.calls) == (2, ("bad",), 3)


# -- identity check -------------------------------------------------------------------------


def test_identity_check_phone_last4_and_lockout(runtime: Runtime) -> None:
    make_register(runtime)
    info = open_ballot(runtime, identity_check="phone_last4")
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-102"]  # co-owners: 1111 and 2222
    view = runtime.query(open_link, token=token)
    assert view.needs_identity
    for n in range(4):
        with pytest.raises(IdentityCheckFailed) as exc:
            runtime.run(verify_identity, token=token, digits="9999", cipher=runtime.cipher)
        assert exc.value.params["remaining"] == 4 - n
    with pytest.raises(IdentityLocked):
        runtime.run(verify_identity, token=token, digits="0000", cipher=runtime.cipher)
    # Locked: even the right digits are refused for 15 minutes.
    with pytest.raises(IdentityLocked):
        runtime.run(verify_identity, token=token, digits="2222", cipher=runtime.cipher)
    assert runtime.query(open_link, token=token).locked_until
    runtime.clock.advance(minutes=15, seconds=1)  # type: ignore[attr-defined]
    runtime.run(verify_identity, token=token, digits=" 2222 ", cipher=runtime.cipher)
    view = runtime.query(open_link, token=token)
    assert not view.needs_identity and view.locked_until is None


def test_identity_check_id_last4(runtime: Runtime) -> None:
    make_register(runtime)
    set_id_number(runtime, "o1", "35050219600101123X")
    info = open_ballot(runtime, identity_check="id_last4")
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    with pytest.raises(IdentityCheckFailed):
        runtime.run(verify_identity, token=tokens["1-101"], digits="1234", cipher=runtime.cipher)
    runtime.run(verify_identity, token=tokens["1-101"], digits="123x", cipher=runtime.cipher)
    with pytest.raises(IdentityCheckFailed) as exc:  # nobody of 1-103 has an ID number on file
        runtime.run(verify_identity, token=tokens["1-103"], digits="1234", cipher=runtime.cipher)
    assert exc.value.params["reason"] == "no-data"


def test_co_owners_are_labelled_in_register_order(
    runtime: Runtime, ballot: ballots.BallotInfo
) -> None:
    issued = issue_all(runtime, ballot.ref)
    labels = {link.unit_codes: link.holder_label for link in issued.links}
    # o2 (李四) before o3 (王五六), whatever their random refs are.
    assert labels[("1-102",)] == "李*、王*六"
    assert labels[("2-S01",)] == ""


@pytest.mark.parametrize("in_list_limit", [1000, 0])
def test_many_links_read_by_ballot_and_community_give_the_same_links_and_messages(
    runtime: Runtime,
    ballot: ballots.BallotInfo,
    monkeypatch: pytest.MonkeyPatch,
    in_list_limit: int,
) -> None:
    """Above ``IN_LIST_LIMIT`` members, labels, unit codes and phones are read for the whole
    ballot and community instead of by id; with a limit of 0 the small register takes that
    path, and gives what the by-id path gives."""
    import voting.links
    import voting.rows

    monkeypatch.setattr(voting.rows, "IN_LIST_LIMIT", in_list_limit)
    monkeypatch.setattr(voting.links, "IN_LIST_LIMIT", in_list_limit)
    issued = issue_all(runtime, ballot.ref)
    by_units = {link.unit_codes: link.holder_label for link in issued.links}
    assert by_units == {
        ("1-101", "2-101"): "张*明",
        ("1-102",): by_units[("1-102",)],
        ("1-103",): by_units[("1-103",)],
        ("2-102",): "欧**娜",
        ("2-S01",): "",
    }
    assert set(by_units[("1-102",)].split("、")) == {"李*", "王*六"}
    sent: list[Message] = []

    class Recorder:
        def send(self, message: Message) -> None:
            sent.append(message)

    key_of = {link.member_key: link.unit_codes for link in issued.links}
    report = runtime.query(
        deliver_links,
        issued=issued,
        cipher=runtime.cipher,
        outbox=Outbox(Recorder()),
        compose=lambda i, link: ("s", link.url),
    )
    assert report.sent == 4
    to = sorted((key_of[m.member_key], m.to) for m in sent)
    assert to[0] == (("1-101", "2-101"), "13812341234")
    assert [units for units, _ in to].count(("1-102",)) == 2  # two owners, two phones
