"""C2SP tlog-tiles paths, tile existence and entry bundles (notary.tiles)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notary.tiles import (
    TILE_WIDTH,
    MalformedBundle,
    MalformedTilePath,
    TilePath,
    decode_bundle,
    encode_bundle,
    format_index,
    format_tile_path,
    hashes_at,
    is_served,
    node_range,
    parse_index,
    parse_level,
    parse_tile_path,
    rightmost_tiles,
    split_hashes,
    tile_width,
)


@pytest.mark.parametrize(
    ("index", "text"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_paths_from_the_spec(index: int, text: str) -> None:
    assert format_index(index) == text
    assert parse_index(text) == index


@given(st.integers(min_value=0, max_value=10**21 - 1), st.integers(min_value=1, max_value=256))
def test_paths_round_trip(index: int, width: int) -> None:
    text = format_tile_path(index, width)
    assert parse_tile_path(text) == TilePath(index, width)
    assert TilePath(index, width).text == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5",
        "05",
        "0005",
        "x000/005",  # superfluous leading group
        "001/005",  # missing x
        "x001",  # x on the last group
        "x1/005",
        "x001/x002",
        "٠٠٥",  # Arabic-Indic digits are digits to str.isdigit, not to the spec
        "00５",
        "000.p/0",
        "000.p/256",
        "000.p/007",
        "000.p/",
        "000.p/1/",
        "000.p/+1",
        "000.p/ 1",
        "000/",
        "/000",
        "000.p/1.p/1",
        "x001/" * 7 + "000",
        "x999/" * 40 + "000",
        "../000",
        "x001/../000",
    ],
)
def test_hostile_paths_are_refused(text: str) -> None:
    with pytest.raises(MalformedTilePath):
        parse_tile_path(text)


def test_partial_width() -> None:
    assert parse_tile_path("x001/234.p/17") == TilePath(1234, 17)
    assert parse_tile_path("000.p/255").is_partial
    assert not parse_tile_path("000").is_partial


@pytest.mark.parametrize("text", ["0", "1", "9", "10", "63"])
def test_levels(text: str) -> None:
    assert parse_level(text) == int(text)


@pytest.mark.parametrize("text", ["", "00", "01", "64", "100", "-1", "+1", "1 ", "٣", "entries"])
def test_bad_levels(text: str) -> None:
    with pytest.raises(MalformedTilePath):
        parse_level(text)


def test_the_specs_example_of_70000_entries() -> None:
    size = 70_000
    assert hashes_at(0, size) // TILE_WIDTH == 273  # full level-0 tiles
    assert rightmost_tiles(size) == [
        (0, TilePath(273, 112)),
        (1, TilePath(1, 17)),
        (2, TilePath(0, 1)),
    ]
    assert tile_width(1, 0, size) == TILE_WIDTH
    assert tile_width(3, 0, size) == 0


def test_a_tree_of_256_entries() -> None:
    assert rightmost_tiles(256) == [(1, TilePath(0, 1))]
    assert tile_width(0, 0, 256) == TILE_WIDTH
    assert rightmost_tiles(0) == []


def test_which_tiles_are_served() -> None:
    size = 600  # level 0: tiles 0 and 1 full, tile 2 of 88; level 1: a partial of 2
    assert is_served(0, TilePath(1), size)
    assert not is_served(0, TilePath(2), size)
    assert is_served(0, TilePath(2, 88), size)
    assert is_served(0, TilePath(2, 40), size)  # an earlier checkpoint's partial tile
    assert not is_served(0, TilePath(2, 89), size)
    assert not is_served(0, TilePath(3, 1), size)
    assert is_served(1, TilePath(0, 2), size)
    assert not is_served(1, TilePath(0), size)
    assert not is_served(2, TilePath(0, 1), size)
    assert not is_served(0, TilePath(10**20, 1), size)


def test_node_range() -> None:
    assert node_range(0, TilePath(2, 88)) == (0, 512, 88)
    assert node_range(1, TilePath(0, 2)) == (8, 0, 2)


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_bundles_round_trip(entries: list[bytes]) -> None:
    assert decode_bundle(encode_bundle(entries)) == entries


def test_bundle_encoding() -> None:
    assert encode_bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"
    assert decode_bundle(encode_bundle([b"x" * 65_535])) == [b"x" * 65_535]
    with pytest.raises(ValueError, match="65,535"):
        encode_bundle([b"x" * 65_536])


@pytest.mark.parametrize("data", [b"\x00", b"\x00\x03ab", b"\x00\x01a\x00"])
def test_truncated_bundles(data: bytes) -> None:
    with pytest.raises(MalformedBundle):
        decode_bundle(data)


def test_split_hashes() -> None:
    assert split_hashes(bytes(64)) == [bytes(32), bytes(32)]
    for bad in (b"", bytes(33), bytes(32 * 257)):
        with pytest.raises(MalformedBundle):
            split_hashes(bad)
