"""The public results in the JSON API: ``/api/v1/results/<code>/<ref>/...`` (no token).

The twins of the public recount files of the results pages (:mod:`fundvote.web.results`):
the board (JSON, the ``Board`` schema with heads and areas), each question's ballots as
``unit,choice`` CSV and the frozen roll as a roll CSV, the last two in ``named`` mode only.
Before publication, and for a draft or another community's ballot, the answer is 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort
from flask_smorest import Blueprint

from estate import api as estate
from fundvote.access import current_runtime, public
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.ballots import BoardSchema
from fundvote.recount import board_csv, board_document, roll_csv
from voting import api as voting
from voting.api import BallotInfo, BallotNotFound, Board, RecountRollWithheld, ResultsNotPublished

blp = Blueprint(
    "api_results",
    __name__,
    url_prefix=f"{API_PREFIX}/results/<code>/<ref>",
    description="Published results: the board and the files to recount it (public)",
)

_NOT_PUBLIC = "No such ballot, or its results are not published (or not by unit)"


def _ballot(code: str, ref: str) -> BallotInfo:
    if current_runtime().query(estate.find_community, code) is None:
        abort(404)
    try:
        info = current_runtime().query(voting.ballot_in_community, code, ref)
    except BallotNotFound:
        abort(404)
    if info.status == "draft":
        abort(404)
    return info


def _board(code: str, ref: str) -> Board:
    info = _ballot(code, ref)
    try:
        return current_runtime().query(voting.board, info.ref)
    except ResultsNotPublished:
        abort(404)


def _csv(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.route("/board", methods=["GET"])
@blp.response(200, BoardSchema)
@blp.alt_response(404, schema=ProblemSchema, description=_NOT_PUBLIC)
@blp.doc(security=[])
@public
def board(code: str, ref: str) -> dict[str, Any]:
    """The published board: every counted ballot with its choices, the member's heads and,
    in ``named`` mode, its units and area (what ``/r/<code>/<ref>/board.json`` serves)."""
    return board_document(_board(code, ref))


@blp.route("/board/q<int:position>", methods=["GET"])
@blp.response(200)
@blp.alt_response(404, schema=ProblemSchema, description=_NOT_PUBLIC)
@blp.doc(security=[])
@public
def board_file(code: str, ref: str, position: int) -> Response:
    """Question ``position``'s ballots as the ``unit,choice`` CSV ``fundvote tally`` reads
    (``named`` mode only)."""
    listing = _board(code, ref)
    data = board_csv(listing, position)
    if data is None:
        abort(404)
    return _csv(data, f"board-{listing.ballot.ref}-q{position}.csv")


@blp.route("/roll", methods=["GET"])
@blp.response(200)
@blp.alt_response(404, schema=ProblemSchema, description=_NOT_PUBLIC)
@blp.doc(security=[])
@public
def roll(code: str, ref: str) -> Response:
    """The ballot's frozen roll as a roll CSV (opaque member keys as ``owners``; ``named``
    mode only), for ``fundvote tally``."""
    info = _ballot(code, ref)
    try:
        lines = current_runtime().query(voting.recount_roll, info.ref)
    except (ResultsNotPublished, RecountRollWithheld):
        abort(404)
    return _csv(roll_csv(lines), f"roll-{info.ref}.csv")
