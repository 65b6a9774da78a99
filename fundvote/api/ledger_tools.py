"""The ledger's legacy import in the JSON API: ``POST /api/v1/communities/<code>/ledger/
legacy-import`` (multipart field ``file``), the same use case as ``fundvote ledger import``
(:func:`ledger.api.import_legacy`): all or nothing, every problem listed with its line and
column; the same file imported twice posts once.

Who: the committee, the housing authority and the administrator, each for the communities
it acts for (the books' earlier history comes from whoever held the fund).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields
from werkzeug.datastructures import FileStorage

from estate.api import MAX_FILE_BYTES
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ApiBlueprint
from fundvote.errors import error_text, problem_response, roll_problem_text, status_for
from fundvote.roles import LEGACY_IMPORT_ROLES
from ledger.api import LegacyImportRejected, import_legacy


class LegacyUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "CSV (or XLSX): entry,date,memo,account,debit,credit"},
    )


class LegacySummarySchema(Schema):
    file_sha256 = fields.String(required=True)
    entries = fields.Integer(required=True, metadata={"description": "Entries in the file"})
    posted = fields.Integer(required=True, metadata={"description": "Posted by this import"})
    already = fields.Integer(
        required=True, metadata={"description": "Already in the books (the file came before)"}
    )
    postings = fields.Integer(required=True)
    first_date = fields.Date(required=True, allow_none=True)
    last_date = fields.Date(required=True, allow_none=True)


class LegacyProblemSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "1 is the header line"})
    field = fields.String(required=True, metadata={"description": "Column, or '' for the row"})
    message = fields.String(required=True)


class LegacyRejectedSchema(ProblemSchema):
    problems = fields.List(fields.Nested(LegacyProblemSchema))


blp = ApiBlueprint(
    "api_ledger_tools",
    __name__,
    url_prefix=f"{API_PREFIX}/communities/<code>/ledger",
    description="The funds ledger: importing earlier books",
)

_DENIED = {"description": "Not logged in, or not allowed for this community"}


@blp.route("/legacy-import", methods=["POST"])
@blp.arguments(LegacyUploadSchema, location="files")
@blp.response(200, LegacySummarySchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@blp.alt_response(413, schema=ProblemSchema, description="The file is larger than 10 MB")
@blp.alt_response(
    422, schema=LegacyRejectedSchema, description="The file was rejected; nothing was written"
)
@staff(*LEGACY_IMPORT_ROLES)
def legacy_import(files: dict[str, Any], code: str) -> Any:
    """Import a community's earlier books: every entry or none, each marked legacy with the
    file's SHA-256; a second upload of the same file posts nothing (``already``)."""
    require_community(code)
    upload: FileStorage = files["file"]
    name = (upload.filename or "legacy.csv").replace("\\", "/").rsplit("/", 1)[-1][-100:]
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        abort(413)
    rt = current_runtime()
    try:
        summary = rt.run_as(
            require_staff().user_id,
            import_legacy,
            community_code=code,
            data=content,
            filename=name or "legacy.csv",
        )
    except LegacyImportRejected as exc:
        return problem_response(
            status_for(exc),
            detail=error_text(exc),
            type_=f"urn:fundvote:problem:{exc.code}",
            extra={
                "problems": [
                    {"line": p.line, "field": p.field, "message": roll_problem_text(p)}
                    for p in exc.problems
                ]
            },
        )
    return {
        "file_sha256": summary.file_sha256,
        "entries": summary.entries,
        "posted": summary.posted,
        "already": summary.already,
        "postings": summary.postings,
        "first_date": summary.first_date,
        "last_date": summary.last_date,
    }
