"""``fundvote keys show`` and ``fundvote keys rotate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fundvote.cli import main
from notary.keys import load_keyring, retired_path


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "signing.key"
    monkeypatch.setenv("FUNDVOTE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FUNDVOTE_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("FUNDVOTE_SIGNING_KEY_FILE", str(path))
    return path


def test_show_without_a_key_exits_2(key_file: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "show"])
    assert result.exit_code == 2
    assert str(key_file) in result.output
    assert not key_file.exists()


def test_show_prints_the_records(key_file: Path) -> None:
    ring = load_keyring(key_file, create=True)
    result = CliRunner().invoke(main, ["keys", "show"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{ring.active_key_id}  active   Ed25519  {ring.verifier.text}\n"

    result = CliRunner().invoke(main, ["keys", "show", "--json"])
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.output)
    assert record == {
        "key_id": ring.active_key_id,
        "name": "fundvote.local",
        "algorithm": "Ed25519",
        "public_key": ring.public_keys()[0].public_key,
        "verifier_key": ring.verifier.text,
        "status": "active",
    }


def test_rotate_retires_the_active_key(key_file: Path) -> None:
    old = load_keyring(key_file, create=True).current()
    result = CliRunner().invoke(main, ["keys", "rotate", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["status"] for r in records] == ["active", "retired"]
    assert records[1]["key_id"] == old.active_key_id
    assert records[0]["key_id"] != old.active_key_id
    assert retired_path(key_file).read_text() == old.verifier.text + "\n"
    assert load_keyring(key_file, create=False).active_key_id == records[0]["key_id"]

    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("new signing key ")
    assert len(result.output.splitlines()) == 1 + 3


def test_rotate_without_a_key_exits_2(key_file: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "rotate"])
    assert result.exit_code == 2
    assert not key_file.exists()
