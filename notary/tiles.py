"""The public log as C2SP ``tlog-tiles``: tile paths, which tiles exist, entry bundles.

Pure and standard-library only. A tile at level ``L`` and index ``N`` holds up to 256
consecutive Merkle tree hashes, each the root of ``256**L`` entries: hash ``i`` of the tile is
``MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L])``, which is the perfect subtree at
tree level ``8L`` and index ``256N + i`` (``notary.store`` keeps every one in ``log_node``).
A tile is *full* with 256 hashes, *partial* with 1 to 255 (path suffix ``.p/<W>``). Entry
bundles (``tile/entries/<N>[.p/<W>]``) hold entries ``256N .. 256N+W-1``, each as a
big-endian uint16 length and its bytes.

Every parser here takes text from a URL: it accepts only the spec's canonical form (ASCII
digits, no superfluous leading zeros, bounded lengths) and raises
:class:`MalformedTilePath` for anything else, so one resource has exactly one path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from notary.errors import N_, DomainError

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes in a full tile
HASH_SIZE = 32
MAX_LEVEL = 63
MAX_INDEX_GROUPS = 7  # up to 10**21 tiles per level: far beyond any log this serves
MAX_INDEX_CHARS = 5 * MAX_INDEX_GROUPS - 2  # "x123/" * 6 + "123"
MAX_PATH_CHARS = MAX_INDEX_CHARS + 6  # and ".p/255"
ENTRY_MAX_BYTES = 0xFFFF  # a big-endian uint16 length prefix

_DIGITS = frozenset("0123456789")


class MalformedTilePath(DomainError):
    """A tile path (level, index or width) is not in the spec's canonical form."""

    code = "malformed-tile-path"


class MalformedBundle(DomainError):
    """Bytes that should be an entry bundle or a hash tile are truncated or mis-sized."""

    code = "malformed-bundle"


@dataclass(frozen=True)
class TilePath:
    """A tile's index within its level and its width (256 for a full tile)."""

    index: int
    width: int = TILE_WIDTH

    @property
    def is_partial(self) -> bool:
        """Whether this is a partial tile (``.p/<W>``)."""
        return self.width < TILE_WIDTH

    @property
    def text(self) -> str:
        """The path's canonical text: :func:`parse_tile_path` gives this tile back."""
        return format_tile_path(self.index, self.width)


def _is_digits(text: str) -> bool:
    return bool(text) and set(text) <= _DIGITS


def format_index(index: int) -> str:
    """The index as the spec's path: zero-padded 3-digit groups, all but the last with an
    ``x`` (1234067 -> ``x001/x234/067``, 5 -> ``005``); ``ValueError`` for a negative index."""
    if index < 0:
        raise ValueError("a tile index cannot be negative")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def parse_index(text: str) -> int:
    """The index written by :func:`format_index`; raises :class:`MalformedTilePath` for any
    other text (a group not of three ASCII digits, a missing or extra ``x``, a leading
    all-zero group such as ``x000/005``, more than :data:`MAX_INDEX_GROUPS` groups)."""
    if len(text) > MAX_INDEX_CHARS:
        raise MalformedTilePath(N_("The tile index is too long."))
    groups = text.split("/")
    if len(groups) > MAX_INDEX_GROUPS:
        raise MalformedTilePath(N_("The tile index is too long."))
    digits = []
    for position, group in enumerate(groups):
        if position < len(groups) - 1:
            if not group.startswith("x"):
                raise MalformedTilePath(N_("The tile index is not in x001/x234/067 form."))
            group = group[1:]
        if len(group) != 3 or not _is_digits(group):
            raise MalformedTilePath(N_("The tile index is not in x001/x234/067 form."))
        digits.append(group)
    if len(digits) > 1 and digits[0] == "000":
        raise MalformedTilePath(N_("The tile index has superfluous leading zeros."))
    return int("".join(digits))


def format_tile_path(index: int, width: int = TILE_WIDTH) -> str:
    """``<N>`` for a full tile, ``<N>.p/<W>`` for a partial one; ``ValueError`` unless
    ``1 <= width <= 256``."""
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError("a tile is 1 to 256 hashes wide")
    path = format_index(index)
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def parse_tile_path(text: str) -> TilePath:
    """The index and width of ``<N>`` or ``<N>.p/<W>`` (``W`` 1 to 255, ASCII digits, no
    leading zero); raises :class:`MalformedTilePath` for anything else."""
    if len(text) > MAX_PATH_CHARS:
        raise MalformedTilePath(N_("The tile path is too long."))
    index_text, dot, width_text = text.partition(".p/")
    width = TILE_WIDTH
    if dot:
        if not _is_digits(width_text) or len(width_text) > 3 or width_text.startswith("0"):
            raise MalformedTilePath(N_("A partial tile's width is 1 to 255."))
        width = int(width_text)
        if width >= TILE_WIDTH:
            raise MalformedTilePath(N_("A partial tile's width is 1 to 255."))
    return TilePath(parse_index(index_text), width)


def parse_level(text: str) -> int:
    """A tile level, ``0`` to ``63`` in ASCII digits without a leading zero; raises
    :class:`MalformedTilePath` otherwise."""
    if not _is_digits(text) or len(text) > 2 or (len(text) > 1 and text.startswith("0")):
        raise MalformedTilePath(N_("A tile level is 0 to 63."))
    level = int(text)
    if level > MAX_LEVEL:
        raise MalformedTilePath(N_("A tile level is 0 to 63."))
    return level


def hashes_at(level: int, size: int) -> int:
    """How many hashes of tile level ``level`` a tree of ``size`` entries has complete:
    ``size // 256**level`` (each covers ``256**level`` entries)."""
    return size >> (TILE_HEIGHT * level)


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes tile ``index`` at ``level`` holds at tree size ``size``: 256 when
    full, 1 to 255 when partial, 0 when it does not exist yet."""
    available = hashes_at(level, size) - index * TILE_WIDTH
    return max(0, min(TILE_WIDTH, available))


def is_served(level: int, tile: TilePath, size: int) -> bool:
    """Whether a log whose latest checkpoint has ``size`` entries serves ``tile`` at ``level``.

    A full tile: once it is complete at that size. A partial tile of width ``W``: when at
    least ``W`` of its hashes exist, so the partial tiles of every earlier checkpoint stay
    available, as the spec requires (a partial tile is a prefix of what the tile will be,
    so its bytes never change and it reveals nothing the larger one does not).
    """
    return tile_width(level, tile.index, size) >= tile.width


def node_range(level: int, tile: TilePath) -> tuple[int, int, int]:
    """The stored perfect subtrees a hash tile is made of: ``(tree level, first index,
    count)``; tile level ``L`` is tree level ``8L``, hashes ``256N .. 256N+W-1``."""
    return TILE_HEIGHT * level, tile.index * TILE_WIDTH, tile.width


def entry_range(tile: TilePath) -> tuple[int, int]:
    """The entries an entry bundle holds: ``(first index, count)``."""
    return tile.index * TILE_WIDTH, tile.width


def rightmost_tiles(size: int) -> list[tuple[int, TilePath]]:
    """The partial tiles, one per level at most, that a tree of ``size`` entries implies
    (``(level, tile)``, lowest level first); levels whose hashes fill whole tiles have
    none. Full tiles are every ``(level, N)`` with ``N < hashes_at(level, size) // 256``."""
    found = []
    level = 0
    while hashes_at(level, size) > 0:
        count = hashes_at(level, size)
        width = count % TILE_WIDTH
        if width:
            found.append((level, TilePath(count // TILE_WIDTH, width)))
        level += 1
    return found


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry as its length in a big-endian uint16 and its bytes;
    ``ValueError`` for an entry longer than 65,535 bytes."""
    parts = []
    for entry in entries:
        if len(entry) > ENTRY_MAX_BYTES:
            raise ValueError("an entry in a tile bundle is at most 65,535 bytes")
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of an entry bundle, in order; raises :class:`MalformedBundle` when a
    length prefix or an entry is cut short."""
    entries = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise MalformedBundle(N_("The entry bundle ends inside a length prefix."))
        length = int.from_bytes(data[at : at + 2], "big")
        at += 2
        if at + length > len(data):
            raise MalformedBundle(N_("The entry bundle ends inside an entry."))
        entries.append(data[at : at + length])
        at += length
    return entries


def split_hashes(data: bytes) -> list[bytes]:
    """The hashes of a hash tile; raises :class:`MalformedBundle` unless it is 1 to 256
    hashes of 32 bytes."""
    if not data or len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise MalformedBundle(N_("A hash tile is 1 to 256 hashes of 32 bytes."))
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
