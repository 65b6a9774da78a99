"""The public log's reads (C2SP ``tlog-tiles``, served by :mod:`fundvote.web.log_tiles`).

Everything served is bounded by the community's latest signed checkpoint: a tile or entry
bundle exists for a reader only when that checkpoint's size implies it
(:func:`notary.tiles.is_served`), so the public never learns of entries the log has not yet
signed, and a tile once served never changes. Each function reads only and returns None for
"no such resource" (unknown community, no checkpoint yet, a tile beyond the checkpoint).
"""

from __future__ import annotations

from dataclasses import dataclass

from notary import store, tiles
from notary.checkpoint import open_checkpoint
from notary.errors import DomainError
from notary.merkle import verify_consistency
from notary.tiles import TilePath
from notary.work import UnitOfWork


@dataclass(frozen=True)
class Consistency:
    """An earlier checkpoint (one printed on a notice) beside the log's latest signed one, and
    whether the log proves the first a prefix of the second (RFC 9162 consistency proof)."""

    earlier_size: int
    earlier_root: bytes
    latest_size: int
    latest_root: bytes
    is_latest_signed: bool  # the latest checkpoint's signature verifies with our keys
    is_consistent: bool  # the consistency proof verifies against both roots

    @property
    def is_verified(self) -> bool:
        """Both checks passed."""
        return self.is_latest_signed and self.is_consistent


def checkpoint_note(uow: UnitOfWork, community: str) -> str | None:
    """The signed note of ``community``'s latest checkpoint, or None if it has none."""
    latest = store.latest_checkpoint(uow.session, community)
    return None if latest is None else latest.note


def hash_tile(uow: UnitOfWork, community: str, level: int, tile: TilePath) -> bytes | None:
    """The bytes of hash tile ``tile`` at tile level ``level`` (its hashes concatenated), or
    None unless the latest checkpoint's size implies it (see the module docstring)."""
    latest = store.latest_checkpoint(uow.session, community)
    if latest is None or not tiles.is_served(level, tile, latest.size):
        return None
    tree_level, start, count = tiles.node_range(level, tile)
    return b"".join(store.tile_hashes(uow.session, community, tree_level, start, count))


def entry_bundle(uow: UnitOfWork, community: str, tile: TilePath) -> bytes | None:
    """The entry bundle ``tile`` (entries ``256N .. 256N+W-1``, each length-prefixed), or
    None unless the latest checkpoint's size implies level-0 tile ``tile``. The caller
    decides who may read it: entries hold members' choices and amounts."""
    latest = store.latest_checkpoint(uow.session, community)
    if latest is None or not tiles.is_served(0, tile, latest.size):
        return None
    start, count = tiles.entry_range(tile)
    return tiles.encode_bundle(store.tile_entries(uow.session, community, start, count))


def consistency_with_latest(
    uow: UnitOfWork, community: str, size: int, root: bytes
) -> Consistency | None:
    """Compare the checkpoint ``(size, root)`` of ``community``'s log (the one printed on a
    results notice) with the latest signed checkpoint: the latest one's signature is checked
    with the service's keys (active or retired), and a consistency proof from ``size`` to the
    latest size is built from the stored tree (``store.consistency_proof``) and verified
    against both roots (``notary.merkle.verify_consistency``). A size beyond the latest is
    not consistent. None when the log has no checkpoint. Reads only."""
    latest = store.latest_checkpoint(uow.session, community)
    if latest is None:
        return None
    try:
        open_checkpoint(latest.note, uow.keyring.verifiers())
        is_signed = True
    except DomainError:
        is_signed = False
    is_consistent = False
    if 0 < size <= latest.size and len(root) == len(latest.root):
        proof = store.consistency_proof(uow.session, community, size, latest.size)
        is_consistent = verify_consistency(size, latest.size, root, latest.root, proof)
    return Consistency(size, root, latest.size, latest.root, is_signed, is_consistent)
