"""Hypothesis strategies for the importers' fuzz tests: CSV text and XLSX bytes, random and
mutated from a valid file."""

from __future__ import annotations

import io
import zipfile

from hypothesis import strategies as st

from tests import hostile_files as hostile

VALID_CSV = (
    "unit,building,area,owners,developer,owner_names,owner_phones,kind\n"
    "1-101,1,89.37,o1;o2,,张三;李四,13812341234;,flat\n"
    '1-102,1,90,o3,,"王,五",,shop\n'
    "P-01,P,12.5,,1,,,parking\n"
).encode()

VALID_BALLOTS = b"unit,choice\n1-101,agree\n1-102,oppose\n"

VALID_XLSX = hostile.good_xlsx()
"""Built once: openpyxl stamps the time into every workbook it writes, and hypothesis needs
the same base bytes each time it replays an example."""

_PIECES = st.sampled_from(
    [
        "unit",
        "area",
        "owners",
        ",",
        ";",
        '"',
        "\n",
        "\r",
        "\r\n",
        "\x00",
        "\ufeff",
        "=1+1",
        "-",
        "89.37",
        "1e9",
        "99999999999999999999",
        "²",
        "张三",
        "\ud800",
        " ",
        "o1",
        "1",
    ]
)


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with a few bytes flipped, inserted or deleted."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "chunk"]))
        if op == "flip" and pos < len(data):
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        else:
            piece = draw(_PIECES).encode("utf-8", "surrogatepass")
            data[pos:pos] = piece
    return bytes(data)


def csv_text() -> st.SearchStrategy[bytes]:
    """Random CSV-ish text (built from the format's own pieces), random bytes, and valid files
    with mutations."""
    pieced = st.lists(_PIECES, max_size=60).map(
        lambda ps: "".join(ps).encode("utf-8", "surrogatepass")
    )
    header_then_pieces = st.lists(_PIECES, max_size=40).map(
        lambda ps: ("unit,building,area,owners,developer\n" + "".join(ps)).encode(
            "utf-8", "surrogatepass"
        )
    )
    return st.one_of(pieced, header_then_pieces, st.binary(max_size=200), mutated(VALID_CSV))


_CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)


def _workbook(rows: list[list[object]]) -> bytes:
    return hostile.xlsx([hostile.ROLL_HEADER, *rows])


def _mutate_member(data: bytes, draw: st.DrawFn) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = [i.filename for i in z.infolist()]
        name = draw(st.sampled_from(names))
        content = z.read(name)
    return hostile.replace_member(data, name, draw(mutated(content)))


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    """Workbooks with random cells, workbooks with one XML member mutated, and random or
    mutated archive bytes."""
    kind = draw(st.sampled_from(["cells", "member", "archive", "random"]))
    if kind == "cells":
        return _workbook(draw(st.lists(st.lists(_CELL, max_size=8), max_size=6)))
    base = VALID_XLSX
    if kind == "member":
        return _mutate_member(base, draw)
    if kind == "archive":
        return draw(mutated(base))
    return hostile.XLSX_MAGIC + draw(st.binary(max_size=300))
