"""Published results in the JSON API, public as the results pages are (:mod:`fundvote.web.results`):
``/api/v1/results/<code>/ballots/<ref>/...`` the participation list, the objections and
answers, the printable notice (PDF) and the ballot's documents. Nothing personal: unit codes
only, phone and ID numbers in objections masked. A draft is a 404; the participation list and
the notice wait for publication (409 ``results-not-published``).
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields

from fundvote.access import current_runtime, public
from fundvote.api import API_PREFIX, ProblemSchema, file_download
from fundvote.api.common import ApiBlueprint
from fundvote.api.objections import ObjectionSchema, objection_json
from fundvote.web.notice import notice_pdf
from fundvote.web.results import (
    notice_response,
    public_ballot,
    public_community,
    send_public_document,
)
from voting import api as voting

blp = ApiBlueprint(
    "api_results",
    __name__,
    url_prefix=f"{API_PREFIX}/results/<code>/ballots/<ref>",
    description="Published results (public): participation, objections, notice, documents",
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
