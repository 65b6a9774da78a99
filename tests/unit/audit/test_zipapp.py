"""fundvote-verify.pyz runs with nothing but the standard library and ``cryptography``: no
Flask, no SQLAlchemy, not even the project's own packages on the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import zipapp
from audit.zipapp import build_verifier_pyz
from tests.unit.audit.kit import RING, sample_content, seal, write
from tests.unit.audit.offline import run_pyz


def test_the_pyz_is_deterministic() -> None:
    assert build_verifier_pyz() == build_verifier_pyz()


def test_the_pyz_verifies_a_bundle_with_only_cryptography(tmp_path: Path) -> None:
    files = seal(sample_content())
    bundle = write(files, tmp_path / "b.zip")
    clean = run_pyz(tmp_path, str(bundle), "--key", RING.verifier.text)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Clean" in clean.stdout
    files["ballots/B-2026-001/notice.pdf"] += b"x"
    bad = run_pyz(tmp_path, str(write(files, tmp_path / "bad.zip")), "--json")
    assert bad.returncode == 1, bad.stderr
    assert '"check": "manifest"' in bad.stdout
    assert run_pyz(tmp_path, str(tmp_path / "missing.zip")).returncode == 2


def test_an_impure_import_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipapp, "ROOTS", (*zipapp.ROOTS, "voting.roll"))
    with pytest.raises(zipapp.ImpureImport):
        zipapp.verifier_modules()
