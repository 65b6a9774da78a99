"""A ballot's documents in the JSON API: ``/api/v1/communities/<code>/ballots/<ref>/documents``.

As on the ballot page (:mod:`fundvote.web.ballots`): every staff role of the community
downloads a document; the committee and the administrator attach one to a draft (multipart
field ``file``, at most 10 MB) or remove it while the ballot is a draft. The document list is
part of the ballot (``attachments`` in ``GET .../ballots/<ref>``).
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from flask_smorest.fields import Upload
from marshmallow import Schema
from werkzeug.datastructures import FileStorage

from fundvote.access import current_runtime, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema, file_download
from fundvote.api.ballots import AttachmentSchema
from fundvote.api.common import ACTORS, ApiBlueprint, ballot_or_404
from fundvote.web.ballots import send_document
from voting import api as voting

blp = ApiBlueprint(
    "api_documents",
    __name__,
    url_prefix=f"{API_PREFIX}/communities/<code>/ballots/<ref>/documents",
    description="A ballot's documents: attach, remove, download",
)

_DENIED = "Not logged in, or not allowed for this community"
_FROZEN = "The ballot has opened: its documents no longer change (ballot-frozen)"


class DocumentUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The document, at most 10 MB"})


@blp.route("", methods=["POST"])
@blp.arguments(DocumentUploadSchema, location="files")
@blp.response(201, AttachmentSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot in this community")
@blp.alt_response(409, schema=ProblemSchema, description=_FROZEN)
@blp.alt_response(
    422, schema=ProblemSchema, description="No file, an empty or too large file, or a duplicate"
)
@staff(*ACTORS)
def upload(files: dict[str, Any], code: str, ref: str) -> dict[str, Any]:
    """Attach a document to a draft; stored with its SHA-256 and logged."""
    info = ballot_or_404(code, ref)
    file: FileStorage = files["file"]
    data = file.stream.read(voting.MAX_ATTACHMENT_BYTES + 1)
    meta = current_runtime().run(
        voting.add_attachment,
        ballot_ref=info.ref,
        filename=file.filename or "",
        content_type=file.mimetype or "application/octet-stream",
        data=data,
        actor=require_staff().user_id,
    )
    return {
        "id": meta.id,
        "filename": meta.filename,
        "content_type": meta.content_type,
        "sha256": meta.sha256,
        "size": meta.size,
    }


@blp.route("/<int:attachment_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot or document")
@blp.alt_response(409, schema=ProblemSchema, description=_FROZEN)
@staff(*ACTORS)
def remove(code: str, ref: str, attachment_id: int) -> None:
    """Remove a document from a draft (logged)."""
    info = ballot_or_404(code, ref)
    current_runtime().run(
        voting.remove_attachment,
        ballot_ref=info.ref,
        attachment_id=attachment_id,
        actor=require_staff().user_id,
    )


@blp.route("/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="The document as stored")
@blp.doc(
    responses=file_download(
        "application/octet-stream",
        description="The document as uploaded; its SHA-256 in the X-Document-SHA256 header",
    )
)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such ballot or document")
@staff()
def download(code: str, ref: str, attachment_id: int) -> ResponseReturnValue:
    """Download a document of the ballot (always as a download, never inline)."""
    info = ballot_or_404(code, ref)
    return send_document(info.ref, attachment_id)
