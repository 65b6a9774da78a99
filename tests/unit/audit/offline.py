"""Running fundvote-verify.pyz with an interpreter whose import path holds only the standard
library and ``cryptography`` (with ``cffi``): ``python -I -S`` and a bootstrap that adds a
folder of links to those two packages, then proves Flask, SQLAlchemy and the project's own
packages cannot be imported before running the pyz."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import cffi
import cryptography

from audit.zipapp import build_verifier_pyz

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


def run_pyz(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
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
