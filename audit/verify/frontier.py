"""The Merkle root of a log recomputed while its entries stream past (RFC 6962 hashing).

Only the frontier is kept: one hash per set bit of the size, so memory is ``O(log n)`` however
long the log. ``notary.merkle`` gives the same roots (it is what the tests compare with).
"""

from __future__ import annotations

from notary.merkle import EMPTY_ROOT, leaf_hash, node_hash


class Frontier:
    """Append leaves in order; read the root of the leaves so far at any time.

    Guarantees: after ``n`` appends, :meth:`root` equals ``notary.merkle.root_of`` of the same
    ``n`` entries, and the object holds at most ``n.bit_length()`` hashes.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first

    def append(self, entry: bytes) -> bytes:
        """Add one entry (its bytes, hashed here as a leaf); returns its leaf hash."""
        leaf = leaf_hash(entry)
        self.append_hash(leaf)
        return leaf

    def append_hash(self, leaf: bytes) -> None:
        """Add one leaf by its hash."""
        level, h = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            h = node_hash(left, h)
            level += 1
        self._stack.append((level, h))
        self.size += 1

    def root(self) -> bytes:
        """The RFC 6962 root of the leaves appended so far (``EMPTY_ROOT`` for none)."""
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h
