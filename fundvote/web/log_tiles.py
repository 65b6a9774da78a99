"""Each community's log as C2SP ``tlog-tiles`` under ``/log/<community>/``.

- ``checkpoint``: the latest signed checkpoint (a signed note), public, cached a few seconds;
- ``tile/<L>/<N>[.p/<W>]``: hash tiles, public and immutable (cacheable for a year);
- ``tile/entries/<N>[.p/<W>]``: entry bundles, which hold members' choices and amounts: only
  for the committee and auditors of that community, never stored by shared caches.

Nothing beyond the latest checkpoint's size is served (:mod:`fundvote.public_log`). An
unknown community, a malformed path or a tile the checkpoint does not imply is a 404.
Public responses allow any origin (``Access-Control-Allow-Origin: *``) so that tlog tools
and the owner's browser can read them from anywhere.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from estate import api as estate
from fundvote import public_log
from fundvote.access import current_runtime, public, require_community, staff
from notary.api import MalformedTilePath, TilePath, parse_level, parse_tile_path

bp = Blueprint("log_tiles", __name__, url_prefix="/log/<community>")

CHECKPOINT_CACHE = "public, max-age=5"
IMMUTABLE = "public, max-age=31536000, immutable"
OCTETS = "application/octet-stream"


def _known(community: str) -> None:
    if current_runtime().query(estate.find_community, community) is None:
        abort(404)


def _tile(path: str) -> TilePath:
    try:
        return parse_tile_path(path)
    except MalformedTilePath:
        abort(404)


def _public(body: bytes | str, mimetype: str, cache: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def notice_consistency(
    community: str, size: int | None, root_hex: str | None
) -> public_log.Consistency | None:
    """The notice checkpoint ``(size, root_hex)`` of a ballot beside the log's latest signed
    checkpoint (:func:`fundvote.public_log.consistency_with_latest`), for the results page
    and the receipt check; None when the ballot has no notice or the log no checkpoint."""
    if size is None or not root_hex:
        return None
    try:
        root = bytes.fromhex(root_hex)
    except ValueError:
        root = b""  # a stored root that is not hex is shown as not consistent
    return current_runtime().query(public_log.consistency_with_latest, community, size, root)


@bp.get("/checkpoint")
@public
def checkpoint(community: str) -> Response:
    _known(community)
    note = current_runtime().query(public_log.checkpoint_note, community)
    if note is None:
        abort(404)
    response = _public(note, "text/plain", CHECKPOINT_CACHE)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


@bp.get("/tile/<level>/<path:path>")
@public
def hash_tile(community: str, level: str, path: str) -> Response:
    try:
        tile_level = parse_level(level)
    except MalformedTilePath:
        abort(404)
    tile = _tile(path)
    _known(community)
    data = current_runtime().query(public_log.hash_tile, community, tile_level, tile)
    if data is None:
        abort(404)
    return _public(data, OCTETS, IMMUTABLE)


@bp.get("/tile/entries/<path:path>")
@staff("committee", "auditor")
def entry_bundle(community: str, path: str) -> Response:
    tile = _tile(path)
    require_community(community)  # 404 unknown; 403 for another community's staff
    data = current_runtime().query(public_log.entry_bundle, community, tile)
    if data is None:
        abort(404)
    response = Response(data, mimetype=OCTETS)
    response.headers["Cache-Control"] = "private, no-store"
    return response
