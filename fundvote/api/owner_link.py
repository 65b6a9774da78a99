"""What an owner does through a personal link, in the JSON API, besides casting
(:mod:`fundvote.api.voting`): pass the ballot's identity check and download the printable
receipt. Public operations; the link's token travels in the request body, never in the URL,
so it stays out of access logs.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from fundvote.access import current_runtime, public
from fundvote.api import API_PREFIX, ProblemSchema, file_download
from fundvote.api.common import ApiBlueprint
from fundvote.api.fields import Id, Text
from fundvote.web.owner import send_receipt_pdf
from voting.api import link_receipt, verify_identity

blp = ApiBlueprint(
    "api_owner_link",
    __name__,
    url_prefix=API_PREFIX,
    description="Owners' personal links: identity check, printable receipt",
)


class IdentityRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    digits = Text(
        required=True,
        max_length=32,
        metadata={"description": "The last four characters the ballot's check asks for"},
    )


class ReceiptPdfRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    for_member = Id(
        load_default=None, metadata={"description": "A member this link's member represents"}
    )


@blp.route("/identity", methods=["POST"])
@blp.arguments(IdentityRequestSchema)
@blp.response(204, description="The link's identity check passed (or the ballot has none)")
@blp.alt_response(404, schema=ProblemSchema, description="Unknown or replaced link")
@blp.alt_response(
    422,
    schema=ProblemSchema,
    description="The characters do not match (the detail says how many tries are left), or "
    "nothing is on record for the check",
)
@blp.alt_response(429, schema=ProblemSchema, description="Locked after five wrong answers")
@blp.doc(security=[])
@public
def identity(args: dict[str, Any]) -> None:
    """Pass the ballot's identity check for this link, as the owner's page does: once
    passed it stays passed; every miss counts, and five lock the link for fifteen minutes."""
    rt = current_runtime()
    rt.run(verify_identity, token=args["token"], digits=args["digits"], cipher=rt.cipher)


@blp.route("/receipt/pdf", methods=["POST"])
@blp.arguments(ReceiptPdfRequestSchema)
@blp.response(200, description="The printable receipt")
@blp.doc(responses=file_download("application/pdf", description="The printable receipt"))
@blp.alt_response(
    403,
    schema=ProblemSchema,
    description="Identity check pending, or the link was issued after the vote was recorded",
)
@blp.alt_response(404, schema=ProblemSchema, description="Unknown link, or no ballot cast")
@blp.doc(security=[])
@public
def receipt_pdf(args: dict[str, Any]) -> ResponseReturnValue:
    """The one-page printable receipt of the link's member (or of a member it represents),
    with a QR code holding the signed receipt; the same file as the owner's page offers."""
    token = args["token"]
    found = current_runtime().query(link_receipt, token=token, for_member=args["for_member"])
    if found is None:
        abort(404)
    return send_receipt_pdf(token, found)
