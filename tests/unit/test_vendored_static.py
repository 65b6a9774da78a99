"""The browser code the site serves: vendored files are the pinned ones, with their licence,
and no script loads anything from another site."""

from __future__ import annotations

import hashlib
import re

import fundvote_templates

STATIC = fundvote_templates.STATIC_DIR
VENDOR = STATIC / "vendor"

# The SHA-256 of each vendored file, as fetched from the npm registry (vendor/SOURCES.md).
PINNED = {
    "noble-ed25519-3.2.0.js": "a4f631d1876b5d9e43a86cd71194ca27b5e1451edf4ba4db9a418f40a475569a",
}


def test_vendored_files_are_the_pinned_ones() -> None:
    scripts = sorted(p.name for p in VENDOR.glob("*.js"))
    assert scripts == sorted(PINNED)
    sources = (VENDOR / "SOURCES.md").read_text("utf-8")
    for name, digest in PINNED.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        assert digest in sources, f"vendor/SOURCES.md does not record {name}'s hash"


def test_vendored_files_carry_their_licence() -> None:
    for name in PINNED:
        licence = VENDOR / (name.removesuffix(".js") + ".LICENSE")
        text = licence.read_text("utf-8")
        assert "MIT License" in text and "Paul Miller" in text


def test_the_receipt_check_imports_the_pinned_library() -> None:
    code = (STATIC / "receipt-check.js").read_text("utf-8")
    imported = re.findall(r'"\./vendor/([^"]+)"', code)
    assert imported == list(PINNED)


def test_no_script_loads_from_elsewhere() -> None:
    """Same-origin only: no absolute or protocol-relative URL in our own scripts."""
    for script in STATIC.glob("*.js"):
        code = script.read_text("utf-8")
        assert not re.search(r"""["'`](?:[a-z]+:)?//""", code), script.name
        for target in re.findall(r"""(?:import\s*\(|from)\s*["']([^"']+)["']""", code):
            assert target.startswith("./"), (script.name, target)
