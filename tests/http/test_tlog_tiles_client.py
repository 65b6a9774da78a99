"""An independent C2SP tlog-tiles client against ``/log/<community>/``.

The client below is written from the C2SP texts (tlog-tiles, tlog-checkpoint, signed-note)
and RFC 9162 §2.1 with hashlib, base64 and cryptography's Ed25519 only: it does not import
``notary.merkle``, ``notary.tiles`` or ``notary.note``, so a shared mistake cannot hide. It
checks the checkpoint's signature with the key published at ``/.well-known/fundvote/keys``,
rebuilds roots and proofs from hash tiles and verifies them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from notary.work import UnitOfWork
from tests.http.conftest import COMMUNITY_CODE, Login, make_community

OLD_SIZE = 300  # level 0: one full tile and a partial of 44; level 1: a partial of 1
NEW_SIZE = 600  # level 0: two full tiles and a partial of 88; level 1: a partial of 2


# --- the client: signed notes and checkpoints --------------------------------------------


@dataclass(frozen=True)
class Head:
    origin: str
    size: int
    root: bytes


def vkey_parts(vkey: str) -> tuple[str, bytes, bytes]:
    """name, key ID, Ed25519 public key of a verifier key ``name+hex(id)+base64(0x01||key)``."""
    name, key_id_hex, data = vkey.split("+", 2)  # base64 may hold "+" too
    raw = base64.b64decode(data, validate=True)
    assert raw[0] == 0x01 and len(raw) == 33
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    assert key_id.hex() == key_id_hex
    return name, key_id, raw[1:]


def open_signed_note(note: str, vkey: str) -> str:
    """The text of ``note`` if a signature by ``vkey`` verifies (signed-note §Format)."""
    assert all(c == "\n" or ord(c) >= 0x20 for c in note)
    cut = note.rindex("\n\n")
    text, signatures = note[: cut + 1], note[cut + 2 :]
    assert signatures.endswith("\n")
    name, key_id, public = vkey_parts(vkey)
    verified = False
    for line in signatures[:-1].split("\n"):
        assert line.startswith("\u2014 ")
        line_name, blob = line[2:].split(" ")
        raw = base64.b64decode(blob, validate=True)
        if line_name != name or raw[:4] != key_id:
            continue  # an unknown key: ignored, as the spec says
        Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode())
        verified = True
    assert verified, "no signature by the trusted key"
    return text


def parse_head(text: str) -> Head:
    """tlog-checkpoint: origin, decimal size, base64 root; extension lines ignored."""
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) >= 4
    origin, size, root = lines[0], lines[1], lines[2]
    assert origin and size.isascii() and size.isdigit() and (size == "0" or size[0] != "0")
    digest = base64.b64decode(root, validate=True)
    assert len(digest) == 32
    return Head(origin, int(size), digest)


# --- the client: RFC 6962 hashing over tiles ---------------------------------------------


def leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def interior(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def index_path(n: int) -> str:
    """tlog-tiles: 3-digit groups, all but the last prefixed with x."""
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


class TileReader:
    """Hashes of a tree of ``size`` leaves, fetched as the tiles that size implies."""

    def __init__(self, get: Callable[[str], bytes], size: int) -> None:
        self.get, self.size = get, size
        self.tiles: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, n: int) -> bytes:
        if (level, n) not in self.tiles:
            width = min(256, self.size // 256**level - 256 * n)
            assert width > 0
            path = index_path(n) + ("" if width == 256 else f".p/{width}")
            data = self.get(f"tile/{level}/{path}")
            assert len(data) == 32 * width
            self.tiles[(level, n)] = data
        return self.tiles[(level, n)]

    def perfect(self, height: int, index: int) -> bytes:
        """MTH of leaves ``index * 2**height`` to ``(index + 1) * 2**height``: the hashes at
        tile level ``height // 8``, hashed up ``height % 8`` times."""
        level, rest = divmod(height, 8)
        first = index << rest
        row = []
        for p in range(first, first + (1 << rest)):
            data = self.tile(level, p // 256)
            row.append(data[32 * (p % 256) : 32 * (p % 256 + 1)])
        while len(row) > 1:
            row = [interior(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    def mth(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) as RFC 6962 §2.1 defines it."""
        n = end - start
        assert n > 0
        if n & (n - 1) == 0 and start % n == 0:
            return self.perfect(n.bit_length() - 1, start // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return interior(self.mth(start, start + k), self.mth(start + k, end))

    def inclusion(self, m: int, start: int, end: int) -> list[bytes]:
        """PATH(m, D[start:end]) (RFC 9162 §2.1.3.1)."""
        n = end - start
        if n == 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*self.inclusion(m, start, start + k), self.mth(start + k, end)]
        return [*self.inclusion(m - k, start + k, end), self.mth(start, start + k)]

    def consistency(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        """SUBPROOF(m, D[start:end], b) (RFC 9162 §2.1.4.1)."""
        n = end - start
        if m == n:
            return [] if whole else [self.mth(start, end)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*self.consistency(m, start, start + k, whole), self.mth(start + k, end)]
        return [*self.consistency(m - k, start + k, end, False), self.mth(start, start + k)]


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = interior(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = interior(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = interior(c, fr), interior(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = interior(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_hash and sr == second_hash


# --- the log under test -------------------------------------------------------------------


def append(uow: UnitOfWork, first: int, count: int) -> None:
    for n in range(first, first + count):
        uow.log(COMMUNITY_CODE, "test.tile_entry", {"n": n})
    uow.checkpoint(COMMUNITY_CODE)


@dataclass(frozen=True)
class Grown:
    old_note: str
    new_note: str


@pytest.fixture
def grown(runtime: Runtime, client: FlaskClient, community: int) -> Grown:
    """A log of 600 entries whose checkpoint at 300 was fetched (and kept) on the way."""
    runtime.run(append, 0, OLD_SIZE)
    old = client.get(f"/log/{COMMUNITY_CODE}/checkpoint").get_data(as_text=True)
    runtime.run(append, OLD_SIZE, NEW_SIZE - OLD_SIZE)
    runtime.run(lambda uow: uow.log(COMMUNITY_CODE, "test.unsigned", {"n": 0}))  # not yet signed
    new = client.get(f"/log/{COMMUNITY_CODE}/checkpoint").get_data(as_text=True)
    return Grown(old, new)


def fetcher(client: FlaskClient) -> Callable[[str], bytes]:
    def get(path: str) -> bytes:
        response = client.get(f"/log/{COMMUNITY_CODE}/{path}")
        assert response.status_code == 200, path
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return response.data

    return get


def trusted_vkey(client: FlaskClient) -> str:
    keys = client.get("/.well-known/fundvote/keys").get_json()
    [active] = [k for k in keys["keys"] if k["key_id"] == keys["active_key_id"]]
    return str(active["verifier_key"])


def test_checkpoint_headers(grown: Grown, client: FlaskClient) -> None:
    response = client.get(f"/log/{COMMUNITY_CODE}/checkpoint")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=5"


def test_inclusion_and_consistency_from_tiles(grown: Grown, client: FlaskClient) -> None:
    vkey = trusted_vkey(client)
    old = parse_head(open_signed_note(grown.old_note, vkey))
    new = parse_head(open_signed_note(grown.new_note, vkey))
    assert (old.size, new.size) == (OLD_SIZE, NEW_SIZE)  # the unsigned entry is not served
    assert old.origin == new.origin == f"fundvote.test/{COMMUNITY_CODE}"
    get = fetcher(client)

    now = TileReader(get, new.size)
    assert now.mth(0, new.size) == new.root
    for index in (0, 1, 255, 256, 299, 300, 511, 512, 599):
        proof = now.inclusion(index, 0, new.size)
        leaf_hash = now.perfect(0, index)  # from a level-0 tile
        assert verify_inclusion(index, new.size, leaf_hash, proof, new.root)
        assert not verify_inclusion(index, new.size, leaf(b"forged"), proof, new.root)

    then = TileReader(get, old.size)  # the partial tiles the old checkpoint implies
    assert then.mth(0, old.size) == old.root
    assert len(then.tiles[(0, 1)]) == 32 * 44 and len(then.tiles[(1, 0)]) == 32

    proof = now.consistency(old.size, 0, new.size, True)
    assert verify_consistency(old.size, new.size, old.root, new.root, proof)
    assert not verify_consistency(old.size, new.size, new.root, new.root, proof)
    for small in (1, 256, 257, 512):
        proof = now.consistency(small, 0, new.size, True)
        assert verify_consistency(small, new.size, now.mth(0, small), new.root, proof)


def test_a_tampered_checkpoint_fails_the_signature(grown: Grown, client: FlaskClient) -> None:
    forged = grown.new_note.replace(f"\n{NEW_SIZE}\n", f"\n{NEW_SIZE + 1}\n", 1)
    with pytest.raises(InvalidSignature):
        open_signed_note(forged, trusted_vkey(client))


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/002",  # not complete at 600
        "tile/0/002.p/89",  # wider than the checkpoint implies
        "tile/0/002.p/0",
        "tile/0/003.p/1",
        "tile/1/000",
        "tile/1/000.p/3",
        "tile/2/000.p/1",
        "tile/00/000",
        "tile/64/000",
        "tile/0/x000/000",
        "tile/0/2",
        "tile/0/x999/x999/x999/x999/x999/x999/999",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/-1/000",
        "tile/0/000.p/256",
        "tile/0/%D9%A0%D9%A0%D9%A0",
        "tile/0/000/",
        "tile/x/000",
    ],
)
def test_tiles_the_checkpoint_does_not_imply_are_404(
    grown: Grown, client: FlaskClient, path: str
) -> None:
    response = client.get(f"/log/{COMMUNITY_CODE}/{path}")
    assert response.status_code == 404


def test_partial_tiles_of_every_checkpoint_are_served(grown: Grown, client: FlaskClient) -> None:
    full = fetcher(client)("tile/0/001")
    assert fetcher(client)("tile/0/001.p/44") == full[: 32 * 44]
    assert fetcher(client)("tile/0/002.p/88") == fetcher(client)("tile/0/002.p/88")
    level1 = fetcher(client)("tile/1/000.p/2")
    assert level1[:32] == TileReader(fetcher(client), NEW_SIZE).mth(0, 256)


def test_unknown_community_and_no_checkpoint(runtime: Runtime, client: FlaskClient) -> None:
    assert client.get("/log/nowhere/checkpoint").status_code == 404
    assert client.get("/log/nowhere/tile/0/000.p/1").status_code == 404
    make_community(runtime)
    runtime.run(lambda uow: uow.log(COMMUNITY_CODE, "test.unsigned", {"n": 0}))
    assert client.get(f"/log/{COMMUNITY_CODE}/checkpoint").status_code == 404
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/0/000.p/1").status_code == 404


# --- entry bundles: committee and auditors of that community only ---------------------------


def test_an_auditor_reads_entry_bundles(grown: Grown, client: FlaskClient, login: Login) -> None:
    login("auditor")
    response = client.get(f"/log/{COMMUNITY_CODE}/tile/entries/001")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert "public" not in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert "Access-Control-Allow-Origin" not in response.headers
    data, entries = response.data, []
    while data:
        length = int.from_bytes(data[:2], "big")
        entries.append(data[2 : 2 + length])
        data = data[2 + length :]
    assert len(entries) == 256
    level0 = fetcher(client)("tile/0/001")
    assert [leaf(e) for e in entries] == [level0[i : i + 32] for i in range(0, 8192, 32)]
    partial = client.get(f"/log/{COMMUNITY_CODE}/tile/entries/002.p/88")
    assert partial.status_code == 200
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/002.p/89").status_code == 404
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/002").status_code == 404
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/x000/002").status_code == 404


def test_committee_reads_entry_bundles(grown: Grown, client: FlaskClient, login: Login) -> None:
    login("committee")
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/000").status_code == 200


def test_the_public_cannot_read_entry_bundles(grown: Grown, client: FlaskClient) -> None:
    response = client.get(f"/log/{COMMUNITY_CODE}/tile/entries/000")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["manager", "authority", "admin"])
def test_other_roles_cannot_read_entry_bundles(
    grown: Grown, client: FlaskClient, login: Login, role: str
) -> None:
    login(role)
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/000").status_code == 403


def test_another_communitys_committee_is_refused(
    grown: Grown, runtime: Runtime, client: FlaskClient, login: Login
) -> None:
    make_community(runtime, "other", "别的小区")
    login("committee", communities=["other"])
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/000").status_code == 403
    login("auditor", communities=["other"])
    assert client.get(f"/log/{COMMUNITY_CODE}/tile/entries/000").status_code == 403
    assert client.get("/log/nowhere/tile/entries/000").status_code == 404
