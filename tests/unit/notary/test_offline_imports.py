"""The evidence core and the offline verifier run without any web or database framework."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = {"flask", "sqlalchemy", "marshmallow", "werkzeug", "jinja2"}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Blocker())

    import notary, notary.canonical, notary.merkle, notary.keys, notary.note
    import notary.checkpoint, notary.envelope, notary.tiles, audit, audit.verify
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker does not work")

    ring = notary.keys.KeyRing("offline.test", Ed25519PrivateKey.generate())
    tree = notary.merkle.MemoryTree()
    body = notary.canonical.canonical_bytes({"n": 1})
    tree.append(body)
    cp = notary.checkpoint.Checkpoint("offline.test/L1", 1, tree.root())
    note = notary.checkpoint.sign_checkpoint(cp, ring)
    got, problems = audit.verify.check_checkpoint(note, [ring.verifier.text])
    assert problems == [] and got == cp, problems
    assert audit.verify.check_inclusion(body, 0, [], got) == []
    import audit.verify.cli, audit.zipapp  # the whole verifier's import path
    loaded = [m for m in sys.modules if m.split(".")[0] in BLOCKED]
    assert not loaded, loaded
    print("offline ok")
    """
)


def test_pure_modules_import_without_frameworks() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "offline ok"
