"""Objections to a published result in the JSON API.

- Owners lodge one through their personal link during the publicity period:
  ``POST /api/v1/objections`` (public; the link's token in the body, never in the URL), as the
  owner's page does (:mod:`fundvote.web.owner`): at most three per link, 1 to 2,000 characters.
- Staff read a ballot's objections: ``GET .../ballots/<ref>/objections`` (every staff role;
  phone and ID numbers masked except for the committee of the community, as on the page).
- The committee (or the administrator) answers one, once: ``POST .../objections/<id>/answer``;
  an upheld objection stops the result from becoming final.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from fundvote.access import current_runtime, public, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ACTORS, ApiBlueprint, ballot_or_404
from fundvote.api.fields import Text
from fundvote.roles import is_committee_of
from voting import api as voting
from voting.api import MAX_OBJECTION_CHARS, ObjectionInfo, lodge_objection

blp = ApiBlueprint(
    "api_objections",
    __name__,
    url_prefix=API_PREFIX,
    description="Objections to published results: lodge (owners), read and answer (committee)",
)

MAX_ANSWER_CHARS = 5_000


class ObjectionSchema(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    lodged_at = fields.DateTime(required=True)
    answer = fields.String(required=True, metadata={"description": "'' until answered"})
    is_upheld = fields.Boolean(required=True, allow_none=True)
    answered_at = fields.DateTime(required=True, allow_none=True)


class LodgeRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    text = Text(
        required=True,
        max_length=MAX_OBJECTION_CHARS,
        multiline=True,
        metadata={"description": "1 to 2,000 characters"},
    )


class AnswerRequestSchema(Schema):
    answer = Text(required=True, max_length=MAX_ANSWER_CHARS, multiline=True)
    is_upheld = fields.Boolean(required=True)


def objection_json(o: ObjectionInfo) -> dict[str, Any]:
    return {
        "id": o.id,
        "text": o.text,
        "lodged_at": o.lodged_at,
        "answer": o.answer,
        "is_upheld": o.is_upheld,
        "answered_at": o.answered_at,
    }


def _lodged_json(
    objection_id: int, lodged_at: datetime, text: str, answer: str, is_upheld: bool | None
) -> dict[str, Any]:
    return {
        "id": objection_id,
        "text": text,
        "lodged_at": lodged_at,
        "answer": answer,
        "is_upheld": is_upheld,
        "answered_at": None,
    }


_BALLOT = "/communities/<code>/ballots/<ref>/objections"
_DENIED = "Not logged in, or not allowed for this community"


@blp.route("/objections", methods=["POST"])
@blp.arguments(LodgeRequestSchema)
@blp.response(201, ObjectionSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Identity check pending")
@blp.alt_response(404, schema=ProblemSchema, description="Unknown or replaced link")
@blp.alt_response(
    409,
    schema=ProblemSchema,
    description="Not in the publicity period (not-in-publicity), or three objections already",
)
@blp.alt_response(422, schema=ProblemSchema, description="Blank or too long")
@blp.doc(security=[])
@public
def lodge(args: dict[str, Any]) -> dict[str, Any]:
    """Lodge the link's member's objection to the ballot's published result (logged with the
    text's SHA-256, never the text)."""
    done = current_runtime().run(lodge_objection, token=args["token"], text=args["text"])
    return _lodged_json(done.objection_id, done.lodged_at, done.text, done.answer, done.is_upheld)


@blp.route(_BALLOT, methods=["GET"])
@blp.response(200, ObjectionSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot in this community")
@staff()
def list_(code: str, ref: str) -> list[dict[str, Any]]:
    """The ballot's objections and answers, oldest first: as written for the committee of
    the community, with phone and ID numbers masked for everyone else."""
    info = ballot_or_404(code, ref)
    is_committee = is_committee_of(require_staff(), require_community(code).id)
    items = current_runtime().query(voting.list_objections, info.ref, original=is_committee)
    return [objection_json(o) for o in items]


@blp.route(f"{_BALLOT}/<int:objection_id>/answer", methods=["POST"])
@blp.arguments(AnswerRequestSchema)
@blp.response(200, ObjectionSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot or objection")
@blp.alt_response(
    409,
    schema=ProblemSchema,
    description="Already answered, or the results are not published (final, annulled)",
)
@blp.alt_response(422, schema=ProblemSchema, description="A blank answer")
@staff(*ACTORS)
def answer(args: dict[str, Any], code: str, ref: str, objection_id: int) -> dict[str, Any]:
    """Record the committee's answer (published with the results) and whether the objection
    is upheld; logged."""
    info = ballot_or_404(code, ref)
    done = current_runtime().run(
        voting.answer_objection,
        ballot_ref=info.ref,
        objection_id=objection_id,
        answer=args["answer"],
        is_upheld=args["is_upheld"],
        actor=require_staff().user_id,
    )
    return objection_json(done)
