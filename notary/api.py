"""The public face of ``notary`` for the composition root's entry points: the error base, the
clocks, key management and the unit of work's type. The offline verifier and other pure parts
keep their own modules (``notary.merkle``, ``notary.note``...) for code that runs without the
database."""

from __future__ import annotations

from notary.clock import Clock, FixedClock, SystemClock
from notary.envelope import TIME_FORMAT
from notary.errors import N_, DomainError
from notary.keys import KeyRecord, KeyRing, load_keyring, rotate_key
from notary.tiles import MalformedTilePath, TilePath, parse_level, parse_tile_path
from notary.work import UnitOfWork

__all__ = [
    "N_",
    "TIME_FORMAT",
    "Clock",
    "DomainError",
    "FixedClock",
    "KeyRecord",
    "KeyRing",
    "MalformedTilePath",
    "SystemClock",
    "TilePath",
    "UnitOfWork",
    "load_keyring",
    "parse_level",
    "parse_tile_path",
    "rotate_key",
]
