"""Remind non-voters: a fresh link each through the outbox, the first links still valid."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, UserFactory, csrf_token
from tests.http.test_voting_api import bearer
from tests.services.voting.owner_helpers import import_rows, log_entries, open_ballot
from voting.api import AlreadyVoted, cast_vote, remind_non_voters
from voting.errors import IllegalTransition
from voting.models import Credential
from voting.outbox import FileSender

CHOICES = {1: "agree", 2: "agree"}


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


@pytest.fixture
def outbox_dir(app: Flask, tmp_path: Path) -> Path:
    app.extensions["fundvote_outbox"] = FileSender(tmp_path / "outbox")
    return tmp_path / "outbox"


@pytest.fixture
def ref(runtime: Runtime, community: int, outbox_dir: Path) -> str:
    import_rows(runtime, COMMUNITY_CODE)
    return open_ballot(runtime, code=COMMUNITY_CODE).ref


def url(ref: str, tail: str) -> str:
    return f"/c/{COMMUNITY_CODE}/ballots/{ref}/{tail}"


def issue(client: FlaskClient, ref: str) -> dict[str, str]:
    """Issue every link through the page (no messages); unit codes -> token."""
    response = client.post(
        url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "0"}
    )
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    rows = list(csv.reader(io.StringIO(archive.read(f"links-{ref}.csv").decode("utf-8-sig"))))
    return {row[0]: row[3].rsplit("/v/", 1)[1] for row in rows[1:]}


def live(runtime: Runtime) -> list[tuple[int, bool]]:
    with runtime.session_factory() as s:
        rows = s.execute(
            sa.select(Credential.member_id, Credential.is_reminder).where(
                Credential.revoked_at.is_(None)
            )
        )
        return sorted((m, r) for m, r in rows)


def test_reminders_go_to_non_voters_and_never_revoke_the_first_link(
    client: FlaskClient, login: Login, runtime: Runtime, ref: str, outbox_dir: Path
) -> None:
    login("committee")
    tokens = issue(client, ref)
    assert not outbox_dir.exists() or not list(outbox_dir.iterdir())
    runtime.run(cast_vote, token=tokens["1-101 2-101"], choices=CHOICES)
    first_links = live(runtime)

    page = client.get(url(ref, "links")).get_data(as_text=True)
    assert "4 of 5 members have not voted yet" in page
    response = client.post(url(ref, "links/remind"), data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    flashed = client.get(url(ref, "links")).get_data(as_text=True)
    assert "Reminders for 3 phone(s)" in flashed
    # 1-102 (two owners with phones) and 2-102; not the voter, not 1-103 (no phone), not the
    # developer.
    messages = sorted(outbox_dir.iterdir())
    assert len(messages) == 3
    bodies = "\n".join(p.read_text("utf-8") for p in messages)
    assert "1-102" in bodies and "2-102" in bodies and "1-103" not in bodies
    assert "2-101" not in bodies
    reminders = [c for c in live(runtime) if c[1]]
    assert len(reminders) == 2
    assert set(first_links) <= set(live(runtime))  # every first link is still live
    for unit in ("1-102", "1-103", "2-102"):
        assert client.get(f"/v/{tokens[unit]}").status_code == 200

    events = log_entries(runtime, COMMUNITY_CODE, "voting.reminders_sent")
    assert len(events) == 1
    assert events[0]["data"] == {"ballot": ref, "by": events[0]["data"]["by"], "count": 2}

    # A second reminder replaces the first reminder links, never the first links.
    client.post(url(ref, "links/remind"), data={"csrf_token": csrf_token(client)})
    assert len(list(outbox_dir.iterdir())) == 6
    assert [c for c in live(runtime) if c[1]] == reminders  # same members, new links
    assert set(first_links) <= set(live(runtime))
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).where(Credential.is_reminder)) == 4


def test_a_member_votes_once_whichever_link_they_use(
    runtime: Runtime, ref: str, client: FlaskClient, login: Login
) -> None:
    login("committee")
    tokens = issue(client, ref)
    issued = runtime.run(remind_non_voters, ballot_ref=ref, base_url="https://vote.example")
    reminder = next(link for link in issued.links if link.unit_codes == ("2-102",))
    runtime.run(cast_vote, token=reminder.url.rsplit("/v/", 1)[1], choices=CHOICES)
    with pytest.raises(AlreadyVoted):
        runtime.run(cast_vote, token=tokens["2-102"], choices={1: "oppose", 2: "agree"})
    again = runtime.run(remind_non_voters, ballot_ref=ref, base_url="https://vote.example")
    assert ("2-102",) not in [link.unit_codes for link in again.links]


def test_reminders_only_while_votes_are_taken(
    runtime: Runtime, community: int, client: FlaskClient, login: Login, outbox_dir: Path
) -> None:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE)
    runtime.clock.set(info.closes_at)  # type: ignore[attr-defined]
    with pytest.raises(IllegalTransition):
        runtime.run(remind_non_voters, ballot_ref=info.ref, base_url="https://vote.example")
    login("committee")
    client.post(url(info.ref, "links/remind"), data={"csrf_token": csrf_token(client)})
    page = client.get(url(info.ref, "links")).get_data(as_text=True)
    assert "notice-error" in page and "Send the reminders" not in page
    assert log_entries(runtime, COMMUNITY_CODE, "voting.reminders_sent") == []


def test_remind_api_twin(
    client: FlaskClient, runtime: Runtime, make_user: UserFactory, ref: str, outbox_dir: Path
) -> None:
    committee = bearer(runtime, make_user, "committee")
    path = f"/api/v1/communities/{COMMUNITY_CODE}/ballots/{ref}/links/remind"
    response = client.post(path, headers=committee)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {"ballot": ref, "sent": 4, "failed_member_keys": []}
    assert "/v/" not in response.get_data(as_text=True)  # the links are sent, not returned
    manager = bearer(runtime, make_user, "manager")
    assert client.post(path, headers=manager).status_code == 403
    runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    late = client.post(path, headers=committee)
    assert late.status_code == 409 and late.mimetype == "application/problem+json"


def test_a_reminder_says_an_identity_check_follows_and_carries_the_signature(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    community: int,
    outbox_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Like the first message: the community by name, the sender's signature, and the
    sentence about the identity check when the ballot asks for one."""
    from dataclasses import replace

    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, sms_signature="江滨业委会"))
    import_rows(runtime, COMMUNITY_CODE)
    ref = open_ballot(runtime, code=COMMUNITY_CODE, identity_check="sms_code").ref
    login("committee")
    issue(client, ref)
    client.post(url(ref, "links/remind"), data={"csrf_token": csrf_token(client)})
    bodies = [p.read_text("utf-8") for p in sorted(outbox_dir.iterdir())]
    assert bodies
    for body in bodies:
        assert "【江滨业委会】" in body
        assert "打开链接后需先核验身份" in body and "无需身份核验" not in body
