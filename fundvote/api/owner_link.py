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
from voting.api import link_receipt

blp = ApiBlueprint(
    "api_owner_link",
    __name__,
    url_prefix=API_PREFIX,
    description="Owners' personal links: identity check, printable receipt",
)


class ReceiptPdfRequestSchema(Schema):
    token = Text(required=True, min_length=20, max_length=100)
    for_member = Id(
        load_default=None, metadata={"description": "A member this link's member represents"}
    )


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
