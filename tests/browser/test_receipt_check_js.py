"""The browser's receipt check (``static/receipt-check.js``), step by step in Chromium against
independent Python: RFC 8785 text against ``notary.canonical``, Ed25519 with WebCrypto and with
the vendored noble-ed25519, the signed-note checkpoint against ``notary.checkpoint``, and
inclusion proofs from hash tiles built here, across tile and level boundaries."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page

from notary.canonical import canonical_bytes
from notary.checkpoint import Checkpoint, sign_checkpoint
from notary.keys import KeyRing
from notary.merkle import leaf_hash, node_hash, subtree_hash
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

MODULE = "/static/receipt-check.js"
TILE = 256

# Browsers without Ed25519 in WebCrypto: importKey refuses the algorithm, as theirs do.
NO_WEBCRYPTO_ED25519 = """
(() => {
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, data, algorithm, ...rest) => {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (name === "Ed25519") return Promise.reject(new DOMException("no", "NotSupportedError"));
    return importKey(format, data, algorithm, ...rest);
  };
})();
"""


def _page(chromium: Browser, live_server: LiveServer, *, init: str = "") -> Iterator[Page]:
    context = chromium.new_context()
    if init:
        context.add_init_script(init)
    page = context.new_page()
    page.goto(live_server.url + "/verify")
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(chromium: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from _page(chromium, live_server)


@pytest.fixture
def page_without_ed25519(chromium: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from _page(chromium, live_server, init=NO_WEBCRYPTO_ED25519)


def run(page: Page, body: str, arg: Any = None) -> Any:
    """Evaluate ``body`` (an async function body with ``m``, the module, and ``arg``)."""
    script = f"async (arg) => {{ const m = await import({MODULE!r}); {body} }}"
    return page.evaluate(script, arg)


# --- RFC 8785 ---------------------------------------------------------------------------------

TRICKY: list[Any] = [
    {"b": 1, "a": [True, False, None], "é": "ü", "\U0001f600": "x", "\ufb33": "y", "A": {}},
    {"v": 1, "nested": {"z": [1, -2, 0, 9007199254740991], "y": 'line\nbreak "q" \\ \u0007'}},
    {"text": "中文 收据 ☃", "": "", "empty": [], "n": -0},
    [1, "2", [3, [4]], {"k": "v"}],
]


@pytest.mark.parametrize("value", TRICKY)
def test_canonical_json_matches_rfc8785(page: Page, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    got = run(page, "return m.canonicalJson(JSON.parse(arg));", text)
    assert got.encode("utf-8") == canonical_bytes(value)


# --- Ed25519, key IDs, signed checkpoints -----------------------------------------------------


def _ring() -> KeyRing:
    return KeyRing("fundvote.test", Ed25519PrivateKey.generate())


def _published(ring: KeyRing) -> dict[str, Any]:
    """What /.well-known/fundvote/keys publishes for ``ring``."""
    keys = [
        {"key_id": r.key_id, "name": r.name, "public_key": r.public_key} for r in ring.public_keys()
    ]
    return {"keys": keys}


SIGN_CASES = """
const keys = await m.trustedKeys(arg.published);
const out = {ids: keys.map((k) => k.id)};
const good = await m.checkReceiptSignature(arg.receipt, keys);
const tampered = JSON.parse(JSON.stringify(arg.receipt));
tampered.questions[0].choice = "oppose";
const unknown = JSON.parse(JSON.stringify(arg.receipt));
unknown.signature.key_id = "00000000";
out.receipt = [good, await m.checkReceiptSignature(tampered, keys),
               await m.checkReceiptSignature(unknown, keys)];
const cp = await m.openCheckpoint(arg.note, keys);
out.checkpoint = cp && {origin: cp.origin, size: cp.size, root: Array.from(cp.root)};
out.forged = await m.openCheckpoint(arg.note.replace("\\n5\\n", "\\n6\\n"), keys);
out.engine = m.ed25519Engine();
return out;
"""


def _signed_material(ring: KeyRing) -> dict[str, Any]:
    body = {
        "v": 1,
        "type": "fundvote.receipt",
        "community": "jb",
        "questions": [{"position": 1, "choice": "agree"}],
        "weights": {"heads": 1, "area": "89.37"},
        "log": {"origin": "fundvote.test/jb", "index": 3, "leaf_hash": "00" * 32},
    }
    sig = base64.b64encode(ring.sign(canonical_bytes(body))).decode()
    receipt = {**body, "signature": {"key_id": ring.active_key_id, "alg": "Ed25519", "sig": sig}}
    root = hashlib.sha256(b"root").digest()
    note = sign_checkpoint(Checkpoint("fundvote.test/jb", 5, root), ring)
    return {"published": _published(ring), "receipt": receipt, "note": note, "root": list(root)}


@pytest.mark.parametrize("engine", ["webcrypto", "noble"])
def test_signatures_and_checkpoint(page: Page, page_without_ed25519: Page, engine: str) -> None:
    ring = _ring()
    material = _signed_material(ring)
    out = run(page if engine == "webcrypto" else page_without_ed25519, SIGN_CASES, material)
    assert out["engine"] == engine
    assert out["ids"] == [ring.active_key_id]
    assert out["receipt"] == ["ok", "bad", "no-key"]
    assert out["checkpoint"] == {"origin": "fundvote.test/jb", "size": 5, "root": material["root"]}
    assert out["forged"] is None


def test_a_key_published_with_a_wrong_id_is_not_trusted(page: Page) -> None:
    published = _published(_ring())
    published["keys"][0]["key_id"] = "0badc0de"
    assert run(page, "return (await m.trustedKeys(arg)).length;", published) == 0


def test_a_checkpoint_signed_by_another_key_is_refused(page: Page) -> None:
    material = _signed_material(_ring())
    material["note"] = sign_checkpoint(Checkpoint("fundvote.test/jb", 5, bytes(32)), _ring())
    out = run(page, SIGN_CASES, material)
    assert out["checkpoint"] is None


# --- tiles and inclusion ----------------------------------------------------------------------


def test_tile_index_paths(page: Page) -> None:
    # The examples of c2sp.org/tlog-tiles.
    got = run(page, "return arg.map(m.tileIndexPath);", [0, 7, 999, 1000, 1234067, 12000])
    assert got == ["000", "007", "999", "x001/000", "x001/x234/067", "x012/000"]


class Tree:
    """Every perfect subtree of a log of ``size`` leaves, and its tiles as a server holds them."""

    def __init__(self, size: int) -> None:
        self.levels = [[leaf_hash(i.to_bytes(8, "big")) for i in range(size)]]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )
        self.fetched: list[str] = []

    def get(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def tile(self, path: str) -> str | None:
        """The tile at ``.../tile/<L>/<N>[.p/<W>]`` as hex, or None (a 404)."""
        self.fetched.append(path)
        rest = path.split("/tile/", 1)[1]
        width = TILE
        if ".p/" in rest:
            rest, w = rest.rsplit(".p/", 1)
            width = int(w)
        level, *digits = rest.split("/")
        index = int("".join(p.removeprefix("x") for p in digits))
        row = self.levels[8 * int(level)] if 8 * int(level) < len(self.levels) else []
        hashes = row[index * TILE : index * TILE + width]
        if len(hashes) != width:
            return None
        return b"".join(hashes).hex()


PROVE = """
const reader = m.tileReader("/log/jb/", arg.size, async (url) => {
  const hex = await window.tileBytes(url);
  return hex === null ? null : m.fromHex(hex);
});
const [leaf, root] = [m.fromHex(arg.leaf), m.fromHex(arg.root)];
return await m.proveInclusion(reader, arg.index, arg.size, leaf, root);
"""


@pytest.fixture(scope="module")
def big_tree() -> Tree:
    return Tree(66_000)  # three tile levels: past 256 and 65,536 leaves


@pytest.mark.parametrize(
    ("index", "size"),
    [(0, 1), (0, 2), (1, 2), (4, 7), (255, 256), (255, 257), (256, 257), (300, 4_000),
     (65_535, 65_536), (65_535, 66_000), (65_999, 66_000), (12_345, 65_537)],
)  # fmt: skip
def test_inclusion_from_tiles(page: Page, big_tree: Tree, index: int, size: int) -> None:
    page.expose_function("tileBytes", big_tree.tile)
    root = subtree_hash(big_tree.get, 0, size)
    leaf = big_tree.levels[0][index].hex()
    arg = {"index": index, "size": size, "leaf": leaf, "root": root.hex()}
    assert run(page, PROVE, arg) == "ok"
    assert run(page, PROVE, {**arg, "leaf": "ab" * 32}) == "leaf-hash"
    assert run(page, PROVE, {**arg, "root": "cd" * 32}) == "root"
    assert run(page, PROVE, {**arg, "index": size}) == "pending"


def test_a_missing_partial_tile_is_read_from_the_full_tile(page: Page, big_tree: Tree) -> None:
    """A server may drop a partial tile once the full one exists (c2sp.org/tlog-tiles)."""

    def full_only(path: str) -> str | None:
        return None if ".p/" in path else big_tree.tile(path)

    page.expose_function("tileBytes", full_only)
    root = subtree_hash(big_tree.get, 0, 300)
    arg = {"index": 10, "size": 300, "leaf": big_tree.levels[0][10].hex(), "root": root.hex()}
    assert run(page, PROVE, arg) == "ok"
