"""The public log's reads (C2SP ``tlog-tiles``, served by :mod:`fundvote.web.log_tiles`).

Everything served is bounded by the community's latest signed checkpoint: a tile or entry
bundle exists for a reader only when that checkpoint's size implies it
(:func:`notary.tiles.is_served`), so the public never learns of entries the log has not yet
signed, and a tile once served never changes. Each function reads only and returns None for
"no such resource" (unknown community, no checkpoint yet, a tile beyond the checkpoint).
"""

from __future__ import annotations

from notary import store, tiles
from notary.tiles import TilePath
from notary.work import UnitOfWork


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
