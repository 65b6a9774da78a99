"""Published results in the JSON API, public as the results pages are (:mod:`fundvote.web.results`):
``/api/v1/results/<code>/ballots/<ref>/...`` the participation list, the objections and
answers, the printable notice (PDF), the ballot's documents, and the files to recount it: the
board (the ``Board`` schema with heads and areas), each question's ballots as ``unit,choice``
CSV and the frozen roll as a roll CSV (the last two in ``named`` mode only: 404
``recount-roll-withheld`` otherwise). Nothing personal: unit codes and opaque member keys
only, phone and ID numbers in objections masked. A draft is a 404; everything but the
objections and documents waits for publication (409 ``results-not-published``).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields

from fundvote.access import current_runtime, public
from fundvote.api import API_PREFIX, ProblemSchema, file_download
from fundvote.api.ballots import BoardSchema
from fundvote.api.common import ApiBlueprint
from fundvote.api.objections import ObjectionSchema, objection_json
from fundvote.recount import board_document
from fundvote.web.notice import notice_pdf
from fundvote.web.results import (
    board_file_response,
    notice_response,
    public_ballot,
    public_community,
    roll_file_response,
    send_public_document,
)
from voting import api as voting
from voting.api import Board

blp = ApiBlueprint(
    "api_results",
    __name__,
    url_prefix=f"{API_PREFIX}/results/<code>/ballots/<ref>",
    description="Published results (public): participation, objections, notice, documents, "
    "and the board and files to recount it",
)

_MISSING = "No such community or ballot (or a draft)"
_UNPUBLISHED = "The results are not published yet (results-not-published)"


class ParticipationSchema(Schema):
    ballot = fields.String(required=True)
    units = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Unit codes whose member took part; not how they voted"},
    )


@blp.route("/participation", methods=["GET"])
@blp.response(200, ParticipationSchema)
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@blp.alt_response(409, schema=ProblemSchema, description=_UNPUBLISHED)
@blp.doc(security=[])
@public
def participation(code: str, ref: str) -> dict[str, Any]:
    """The units that took part in a published ballot (the page's list, for programs)."""
    info = public_ballot(code, ref)
    units = current_runtime().query(voting.participation, info.ref)
    return {"ballot": info.ref, "units": list(units)}


@blp.route("/objections", methods=["GET"])
@blp.response(200, ObjectionSchema(many=True))
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@blp.doc(security=[])
@public
def objections(code: str, ref: str) -> list[dict[str, Any]]:
    """The objections to the ballot's results and the committee's answers, oldest first,
    phone and ID numbers masked."""
    info = public_ballot(code, ref)
    return [objection_json(o) for o in current_runtime().query(voting.list_objections, info.ref)]


@blp.route("/notice", methods=["GET"])
@blp.response(200, description="The notice")
@blp.doc(responses=file_download("application/pdf", description="The printable notice (公告)"))
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@blp.alt_response(409, schema=ProblemSchema, description=_UNPUBLISHED)
@blp.doc(security=[])
@public
def notice(code: str, ref: str) -> ResponseReturnValue:
    """The printable notice of a published ballot (the PDF of ``/r/<code>/<ref>/notice.pdf``)."""
    community = public_community(code)
    info = public_ballot(code, ref)
    return notice_response(notice_pdf(community, info), info.ref)


@blp.route("/documents/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="The document")
@blp.doc(
    responses=file_download(
        "application/octet-stream",
        description="The document as uploaded; its SHA-256 in the X-Document-SHA256 header",
    )
)
@blp.alt_response(404, schema=ProblemSchema, description="No such document, or not yet public")
@blp.doc(security=[])
@public
def document(code: str, ref: str, attachment_id: int) -> ResponseReturnValue:
    """A ballot's document, once the ballot has opened (owners' links show the same)."""
    return send_public_document(code, ref, attachment_id)


_NOT_BY_UNIT = "Not published by unit (tracker mode): the recount by area is the auditor's"


def _board(code: str, ref: str) -> Board:
    info = public_ballot(code, ref)
    return current_runtime().query(voting.board, info.ref)


@blp.route("/board", methods=["GET"])
@blp.response(200, BoardSchema)
@blp.alt_response(404, schema=ProblemSchema, description=_MISSING)
@blp.alt_response(409, schema=ProblemSchema, description=_UNPUBLISHED)
@blp.doc(security=[])
@public
def board(code: str, ref: str) -> dict[str, Any]:
    """The published board: every counted ballot with its choices, the member's heads and,
    in ``named`` mode, its units and area (what ``/r/<code>/<ref>/board.json`` serves)."""
    return board_document(_board(code, ref))


@blp.route("/board/q<int:position>", methods=["GET"])
@blp.response(200, description="The question's ballots")
@blp.doc(responses=file_download("text/csv", description="unit,choice, one row per member"))
@blp.alt_response(404, schema=ProblemSchema, description=f"{_MISSING}; {_NOT_BY_UNIT}")
@blp.alt_response(409, schema=ProblemSchema, description=_UNPUBLISHED)
@blp.doc(security=[])
@public
def board_file(code: str, ref: str, position: int) -> Response:
    """Question ``position``'s ballots as the ``unit,choice`` CSV ``fundvote tally`` reads
    (``named`` mode only)."""
    return board_file_response(_board(code, ref), position)


@blp.route("/roll", methods=["GET"])
@blp.response(200, description="The frozen roll")
@blp.doc(responses=file_download("text/csv", description="The roll format, opaque owners"))
@blp.alt_response(404, schema=ProblemSchema, description=f"{_MISSING}; {_NOT_BY_UNIT}")
@blp.alt_response(409, schema=ProblemSchema, description=_UNPUBLISHED)
@blp.doc(security=[])
@public
def roll(code: str, ref: str) -> Response:
    """The ballot's frozen roll as a roll CSV (opaque member keys as ``owners``; ``named``
    mode only), for ``fundvote tally``."""
    info = public_ballot(code, ref)
    lines = current_runtime().query(voting.recount_roll, info.ref)
    return roll_file_response(info.ref, lines)
