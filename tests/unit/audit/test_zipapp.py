"""fundvote-verify.pyz runs with nothing but the standard library and ``cryptography``: no
Flask, no SQLAlchemy, not even the project's own packages on the path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import cffi
import cryptography

from audit.zipapp import build_verifier_pyz
from tests.unit.audit.kit import RING, sample_content, seal, write

BOOT = textwrap.dedent(
    """
    import runpy, sys
    libs, pyz = sys.argv[1], sys.argv[2]
    sys.path[:] = [p for p in sys.path if "site-packages" not in p and "/work/" not in p]
    sys.path.insert(0, libs)
    for name in ("flask", "sqlalchemy", "marshmallow", "fundvote"):
        try:
            __import__(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"{name} is importable")
    sys.argv = sys.argv[2:]
    sys.path.insert(0, pyz)
    runpy.run_path(pyz, run_name="__main__")
    """
)


def _libs(tmp: Path) -> Path:
    libs = tmp / "libs"
    libs.mkdir()
    site = Path(cryptography.__file__).parents[1]
    for pkg in (Path(cryptography.__file__).parent, Path(cffi.__file__).parent):
        (libs / pkg.name).symlink_to(pkg)
    for backend in site.glob("_cffi_backend*"):
        (libs / backend.name).symlink_to(backend)
    return libs


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    pyz = tmp / "fundvote-verify.pyz"
    if not pyz.exists():
        pyz.write_bytes(build_verifier_pyz())
    libs = tmp / "libs" if (tmp / "libs").exists() else _libs(tmp)
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", BOOT, str(libs), str(pyz), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp,
    )


def test_the_pyz_is_deterministic() -> None:
    assert build_verifier_pyz() == build_verifier_pyz()


def test_the_pyz_verifies_a_bundle_with_only_cryptography(tmp_path: Path) -> None:
    files = seal(sample_content())
    bundle = write(files, tmp_path / "b.zip")
    clean = _run(tmp_path, str(bundle), "--key", RING.verifier.text)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Clean" in clean.stdout
    files["ballots/B-2026-001/notice.pdf"] += b"x"
    bad = _run(tmp_path, str(write(files, tmp_path / "bad.zip")), "--json")
    assert bad.returncode == 1, bad.stderr
    assert '"check": "manifest"' in bad.stdout
    assert _run(tmp_path, str(tmp_path / "missing.zip")).returncode == 2
