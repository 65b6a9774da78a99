"""FUNDVOTE_LOG_ORIGIN: validated, and used by checkpoints, receipts, their check and the
integrity self-check instead of the signing key's name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fundvote.config import BadSetting, load_settings
from fundvote.integrity import verify_logs
from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from notary import store
from tests.services.voting.owner_helpers import CODE
from tests.services.voting.test_receipts import cast_two
from voting.receipts import check_receipt

PREFIX = "fundvote.example.org/log"


def settings_with(tmp_path: Path, value: str | None) -> str:
    env = {"FUNDVOTE_INSTANCE_PATH": str(tmp_path / "instance")}
    if value is not None:
        env["FUNDVOTE_LOG_ORIGIN"] = value
    settings = load_settings(env)
    return f"{settings.log_origin}|{settings.key_name}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "|fundvote.local"),
        ("", "|fundvote.local"),
        (PREFIX, f"{PREFIX}|{PREFIX}"),
        (f" {PREFIX}/ ", f"{PREFIX}|{PREFIX}"),
        ("vote.example.org", "vote.example.org|vote.example.org"),
        ("localhost:8080/log", "localhost:8080/log|localhost:8080/log"),
    ],
)
def test_the_setting(tmp_path: Path, value: str | None, expected: str) -> None:
    assert settings_with(tmp_path, value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "https://fundvote.example.org/log",
        "http:fundvote.example.org",
        "HTTPS:/fundvote.example.org",
        "fundvote.example.org/my log",
        "fundvote.example.org/a+b",
        "fundvote.example.org/\u3000log",
        "fundvote.example.org/\x07",
        "/log",
        "x" * 201,
    ],
)
def test_bad_values_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(BadSetting, match="FUNDVOTE_LOG_ORIGIN"):
        settings_with(tmp_path, value)


@pytest.fixture
def configured(runtime: Runtime) -> Runtime:
    """The test runtime with a log origin that is not the signing key's name."""
    assert runtime.keyring.name != PREFIX
    settings = dataclasses.replace(runtime.settings, log_origin=PREFIX)
    return dataclasses.replace(runtime, settings=settings)


def test_checkpoints_receipts_and_checks_use_the_configured_origin(configured: Runtime) -> None:
    receipt = cast_two(configured)
    sign_due_checkpoints(configured)
    assert json.loads(receipt.text)["log"]["origin"] == f"{PREFIX}/{CODE}"
    with configured.session_factory() as s:
        latest = store.latest_checkpoint(s, CODE)
    assert latest is not None and latest.origin == f"{PREFIX}/{CODE}"
    assert latest.note.startswith(f"{PREFIX}/{CODE}\n")
    result = configured.query(check_receipt, receipt_json=receipt.text)
    assert result.is_valid, result.problems
    [report] = configured.query(verify_logs, community=CODE)
    assert report.is_clean, report


def test_a_receipt_from_another_origin_fails_the_check(
    runtime: Runtime, configured: Runtime
) -> None:
    receipt = cast_two(runtime)  # signed with the key's name as origin
    sign_due_checkpoints(runtime)
    assert json.loads(receipt.text)["log"]["origin"] == f"{runtime.keyring.name}/{CODE}"
    assert runtime.query(check_receipt, receipt_json=receipt.text).is_valid
    result = configured.query(check_receipt, receipt_json=receipt.text)
    assert "origin" in result.problems
    [report] = configured.query(verify_logs, community=CODE)
    assert not report.is_clean  # the stored checkpoints name another origin
