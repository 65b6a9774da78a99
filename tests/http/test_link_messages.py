"""The messages that carry the owners' links: they name the community, say whether an
identity check follows, and start with the registered sender's 【signature】 when it is set
(``FUNDVOTE_SMS_SIGNATURE``, validated like every setting)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fundvote.config import BadSetting, load_settings
from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, csrf_token
from tests.services.voting.owner_helpers import import_rows, open_ballot
from voting.outbox import FileSender


def _sent(client: FlaskClient, login: Login, app: Flask, tmp_path: Path, ref: str) -> list[str]:
    app.extensions["fundvote_outbox"] = FileSender(tmp_path / "outbox")
    login("committee")
    response = client.post(
        f"/c/{COMMUNITY_CODE}/ballots/{ref}/links/issue",
        data={"csrf_token": csrf_token(client), "send": "1"},
    )
    assert response.status_code == 200
    return [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "outbox").iterdir())]


@pytest.mark.parametrize(
    ("check", "says"),
    [("none", "无需身份核验"), ("phone_last4", "打开链接后需先核验身份")],
)
def test_messages_name_the_community_and_the_identity_check(
    client: FlaskClient,
    login: Login,
    app: Flask,
    runtime: Runtime,
    community: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    check: str,
    says: str,
) -> None:
    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, sms_signature="江滨业委会"))
    import_rows(runtime, COMMUNITY_CODE)
    ref = open_ballot(runtime, code=COMMUNITY_CODE, identity_check=check).ref
    messages = _sent(client, login, app, tmp_path, ref)
    assert messages
    for text in messages:
        body = text.split("\n\n", 1)[1]
        assert body.startswith("【江滨业委会】")
        assert "江滨花园" in body and says in body
        assert "/v/" in body


def test_no_signature_by_default(
    client: FlaskClient,
    login: Login,
    app: Flask,
    runtime: Runtime,
    community: int,
    tmp_path: Path,
) -> None:
    assert runtime.settings.sms_signature == ""
    import_rows(runtime, COMMUNITY_CODE)
    ref = open_ballot(runtime, code=COMMUNITY_CODE).ref
    for text in _sent(client, login, app, tmp_path, ref):
        assert "【" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ""), ("  江滨业委会 ", "江滨业委会"), ("Jiangbin HOA", "Jiangbin HOA")],
)
def test_the_signature_setting(tmp_path: Path, value: str, expected: str) -> None:
    env = {"FUNDVOTE_INSTANCE_PATH": str(tmp_path), "FUNDVOTE_SMS_SIGNATURE": value}
    assert load_settings(env).sms_signature == expected


@pytest.mark.parametrize(
    "value", ["江", "【江滨】", "x" * 17, "江滨\x00", "江滨\u202e", "a\tb", "签名;drop"]
)
def test_a_bad_signature_is_a_bad_setting(tmp_path: Path, value: str) -> None:
    env = {"FUNDVOTE_INSTANCE_PATH": str(tmp_path), "FUNDVOTE_SMS_SIGNATURE": value}
    with pytest.raises(BadSetting, match="FUNDVOTE_SMS_SIGNATURE"):
        load_settings(env)
