"""The Merkle tree of RFC 6962 / RFC 9162 §2.1, as pure functions over stored subtree hashes.

Leaves hash as ``SHA-256(0x00 || data)``, interior nodes as ``SHA-256(0x01 || left || right)``;
the empty tree's hash is ``SHA-256("")``.

Everything that reads the tree does so through a *perfect subtree getter*
``get(level, index) -> bytes``: the hash of the aligned perfect subtree of ``2**level`` leaves
starting at leaf ``index * 2**level``. Level 0 holds the leaf hashes. A log that stores every
perfect subtree (about ``2n`` nodes for ``n`` leaves, added by :func:`completed_nodes` in
``O(log n)`` per append) can compute any root in ``O(log n)`` reads and any proof in
``O(log² n)`` reads at worst, whether the nodes live in a dict or in a database.

Proof generators raise :class:`BeyondTreeSize` for impossible requests. Verifiers never raise:
they return ``True`` only when the proof is valid, and ``False`` for anything else, including
malformed input (wrong hash length, index outside the tree, sizes going backwards).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from notary.errors import N_, DomainError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Getter = Callable[[int, int], bytes]
"""``get(level, index)``: hash of the perfect subtree covering leaves
``[index * 2**level, (index + 1) * 2**level)``."""


class BeyondTreeSize(DomainError):
    """A root or proof was asked for a leaf or size the tree does not have."""

    code = "beyond-tree-size"


@dataclass(frozen=True)
class PerfectNode:
    """One stored perfect subtree: its level, its index within the level, and its hash."""

    level: int
    index: int
    hash: bytes


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def subtree_hash(get: Getter, start: int, n: int) -> bytes:
    """Return MTH of the ``n`` leaves starting at ``start``, as RFC 9162 §2.1.1 defines it.

    ``start`` must be a multiple of the smallest power of two ``>= n`` (true of every range the
    RFC's recursion produces); reads at most one perfect subtree per set bit of ``n``.
    """
    if n == 0:
        return EMPTY_ROOT
    if _is_power_of_two(n):
        level = n.bit_length() - 1
        if start % n:
            raise ValueError(f"range at {start} of {n} leaves is not aligned")
        return get(level, start >> level)
    k = _split(n)
    return node_hash(subtree_hash(get, start, k), subtree_hash(get, start + k, n - k))


def tree_root(get: Getter, size: int) -> bytes:
    """Return the root hash of the tree made of the first ``size`` leaves (``EMPTY_ROOT`` if 0)."""
    if size < 0:
        raise BeyondTreeSize(N_("A tree size cannot be negative."), size=size)
    return subtree_hash(get, 0, size)


def inclusion_proof(get: Getter, index: int, size: int) -> list[bytes]:
    """Return the audit path PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf side first.

    Raises :class:`BeyondTreeSize` unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise BeyondTreeSize(N_("The entry is not in a tree of that size."), index=index, size=size)
    top_down: list[bytes] = []
    start, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            top_down.append(subtree_hash(get, start + k, n - k))
            n = k
        else:
            top_down.append(subtree_hash(get, start, k))
            start, m, n = start + k, m - k, n - k
    return top_down[::-1]


def consistency_proof(get: Getter, old_size: int, new_size: int) -> list[bytes]:
    """Return PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1.

    The proof is empty when ``old_size`` is 0 or equals ``new_size``. Raises
    :class:`BeyondTreeSize` unless ``0 <= old_size <= new_size``.
    """
    if not 0 <= old_size <= new_size:
        raise BeyondTreeSize(
            N_("A tree can only be proved consistent with an earlier size of itself."),
            old_size=old_size,
            new_size=new_size,
        )
    if old_size in (0, new_size):
        return []
    top_down: list[bytes] = []
    start, m, n, whole = 0, old_size, new_size, True
    while True:
        if m == n:
            # SUBPROOF(m, D[m], b) is {} when b is true, {MTH(D[m])} otherwise.
            if not whole:
                top_down.append(subtree_hash(get, start, n))
            break
        k = _split(n)
        if m <= k:
            top_down.append(subtree_hash(get, start + k, n - k))
            n = k
        else:
            top_down.append(subtree_hash(get, start, k))
            start, m, n, whole = start + k, m - k, n - k, False
    return top_down[::-1]


def completed_nodes(index: int, leaf: bytes, get: Getter) -> list[PerfectNode]:
    """Return the perfect subtrees that become complete when leaf ``index`` is appended.

    The first is the leaf itself at level 0; each further one is the parent of the previous
    when that one is a right child. Reads one stored left sibling per level climbed
    (``O(log n)``); storing what it returns keeps every perfect subtree of the log stored.
    """
    if index < 0:
        raise BeyondTreeSize(N_("A leaf index cannot be negative."), index=index)
    nodes = [PerfectNode(0, index, leaf)]
    level, i, h = 0, index, leaf
    while i & 1:
        h = node_hash(get(level, i - 1), h)
        level, i = level + 1, i >> 1
        nodes.append(PerfectNode(level, i, h))
    return nodes


def root_of(leaves: Iterable[bytes], *, hashed: bool = False) -> bytes:
    """Return the RFC 9162 tree head (MTH) of ``leaves`` in one pass, without storing nodes.

    ``leaves`` are leaf inputs (entry bytes) by default, or leaf hashes when ``hashed`` is
    true. Guarantees: the result equals :func:`tree_root` over a :class:`MemoryTree` holding
    the same leaves (``EMPTY_ROOT`` for none), computing exactly ``2n - 1`` SHA-256 hashes for
    ``n >= 1`` leaves (``n - 1`` when they are already hashed). Memory is one list of ``n``
    hashes, halved at each level.

    The tree is reduced level by level: adjacent pairs are hashed and an unpaired last node is
    carried up unchanged. That is the RFC's split at the largest power of two smaller than
    ``n``: every complete pair lies inside one aligned perfect subtree, and the carried node is
    the root of the right-hand remainder, which meets its left sibling at the level where the
    sizes of both sides first agree.
    """
    sha256 = hashlib.sha256
    level = list(leaves) if hashed else [sha256(b"\x00" + data).digest() for data in leaves]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        carry = level.pop() if len(level) & 1 else None
        lefts, rights = level[0::2], level[1::2]
        level = [sha256(b"\x01" + a + b).digest() for a, b in zip(lefts, rights, strict=True)]
        if carry is not None:
            level.append(carry)
    return level[0]


def frontier_keys(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the perfect subtrees that together make a tree of ``size`` leaves.

    One per set bit of ``size``, largest first: the "compact range" of RFC 9162 trees. Their
    hashes are all an append needs, so a log can keep them beside its head and append
    without reading any stored node.
    """
    if size < 0:
        raise BeyondTreeSize(N_("A tree size cannot be negative."), size=size)
    keys: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return True only if ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree of
    ``size`` leaves whose root is ``root`` (RFC 9162 §2.1.3.2). Never raises."""
    if not 0 <= index < size:
        return False
    if len(leaf) != HASH_SIZE or len(root) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return True only if ``proof`` shows the tree of ``new_size`` leaves with root
    ``new_root`` extends the tree of ``old_size`` leaves with root ``old_root``
    (RFC 9162 §2.1.4.2). Never raises.

    Equal sizes need an empty proof and equal roots. Old size 0 needs an empty proof and
    ``old_root == EMPTY_ROOT`` (stricter than implementations that ignore the old root there).
    """
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = [old_root, *proof] if _is_power_of_two(old_size) else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class MemoryTree:
    """An append-only tree held in memory, storing every perfect subtree.

    Used by tests and by the offline verifier to rebuild a log from its entries; behaves like
    the database-backed store.
    """

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def get(self, level: int, index: int) -> bytes:
        """The perfect subtree getter over this tree's stored nodes (KeyError if absent)."""
        return self._nodes[(level, index)]

    def append(self, data: bytes) -> int:
        """Append a leaf holding ``data``; return its index."""
        return self.append_hash(leaf_hash(data))

    def append_hash(self, leaf: bytes) -> int:
        """Append a leaf whose hash is ``leaf``; return its index."""
        index = self._size
        for node in completed_nodes(index, leaf, self.get):
            self._nodes[(node.level, node.index)] = node.hash
        self._size += 1
        return index

    def root(self, size: int | None = None) -> bytes:
        """The root hash at ``size`` leaves (default: all)."""
        size = self._size if size is None else size
        if size > self._size:
            raise BeyondTreeSize(N_("The tree is not that large yet."), size=size)
        return tree_root(self.get, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves (default: all)."""
        size = self._size if size is None else size
        if size > self._size:
            raise BeyondTreeSize(N_("The tree is not that large yet."), size=size)
        return inclusion_proof(self.get, index, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The consistency proof from ``old_size`` to ``new_size`` leaves (default: all)."""
        new_size = self._size if new_size is None else new_size
        if new_size > self._size:
            raise BeyondTreeSize(N_("The tree is not that large yet."), size=new_size)
        return consistency_proof(self.get, old_size, new_size)
