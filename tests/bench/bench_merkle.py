"""The Merkle root of a whole list (``notary.merkle.root_of``) beside pymerkle building the
same tree and beside a plain hashlib loop computing the same 2n - 1 SHA-256 hashes."""

from __future__ import annotations

import hashlib

from pymerkle import InmemoryTree

from notary.merkle import root_of
from tests.bench.results import Results
from tests.bench.site import Site
from tests.bench.sizes import Sizes
from tests.bench.timing import median_seconds, once_seconds


def _hashlib_loop(leaves: list[bytes]) -> None:
    """The hashing work alone: n leaf hashes and n - 1 node hashes of 65-byte inputs."""
    sha256 = hashlib.sha256
    left, right = bytes(32), bytes(range(32))
    for data in leaves:
        sha256(b"\x00" + data).digest()
    for _ in range(len(leaves) - 1):
        sha256(b"\x01" + left + right).digest()


def _pymerkle_root(leaves: list[bytes]) -> bytes:
    tree = InmemoryTree()
    for data in leaves:
        tree.append_entry(data)
    return bytes(tree.get_root())


def run(site: Site, sizes: Sizes, results: Results) -> None:
    """Record ``merkle_root_vs_pymerkle`` and ``merkle_root_vs_hashlib`` (seconds)."""
    n = sizes.merkle_leaves
    leaves = [f"entry {i}".encode() for i in range(n)]
    ours = median_seconds(lambda: root_of(leaves), 3)
    loop = median_seconds(lambda: _hashlib_loop(leaves), 3)
    theirs, root = once_seconds(lambda: _pymerkle_root(leaves))
    if root != root_of(leaves):
        results.warn("root_of and pymerkle DISAGREE on the root")
    note = f"{n:,} leaves"
    results.add("merkle_root_vs_pymerkle", ours, "s", theirs, f"{note}; baseline: pymerkle")
    results.add("merkle_root_vs_hashlib", ours, "s", loop, f"{note}; baseline: hashlib loop")
