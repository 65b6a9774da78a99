"""Audit bundles in the JSON API: the same use case as the auditor's pages
(:mod:`fundvote.bundles`).

- ``GET /api/v1/communities/<code>/bundle?from=&to=`` the signed audit bundle (a zip);
- ``POST /api/v1/communities/<code>/bundle?from=&to=`` the same with an earlier bundle, or
  its ``checkpoint.txt``, in the multipart field ``previous``: the bundle then carries the
  consistency proof from that checkpoint.
"""

from __future__ import annotations

import tempfile
from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import FileStorage

from fundvote.access import current_runtime, require_community, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ApiBlueprint
from fundvote.bundles import BUNDLE_ROLES, build, bundle_name, period_of
from fundvote.web.bundle_files import TemplateRenderers, zip_response

PREVIOUS_MAX_BYTES = 16 * 1024 * 1024
"""The largest earlier bundle accepted by upload (its checkpoint.txt alone is a few hundred
bytes, and is all that is read)."""
SPOOL_BYTES = 16 * 1024 * 1024

blp = ApiBlueprint(
    "api_audit",
    __name__,
    url_prefix=f"{API_PREFIX}/communities/<code>",
    description="Signed audit bundles (docs/audit-bundle.md)",
)

_DENIED = "Not logged in, or not allowed for this community"
_DAY = {"description": "YYYY-MM-DD, Asia/Shanghai; empty for no limit", "example": "2025-01-01"}


class PeriodArgs(Schema):
    start = fields.String(
        data_key="from", load_default=None, validate=validate.Length(max=32), metadata=_DAY
    )
    end = fields.String(
        data_key="to", load_default=None, validate=validate.Length(max=32), metadata=_DAY
    )


class PreviousUpload(Schema):
    previous = Upload(
        required=True,
        metadata={"description": "An earlier bundle (zip, at most 16 MB) or its checkpoint.txt"},
    )


def _send(code: str, args: dict[str, Any], previous: bytes | None) -> ResponseReturnValue:
    require_community(code)
    period = period_of(args.get("start"), args.get("end"))
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (zip_response closes it)
    try:
        build(current_runtime(), code, out, period, TemplateRenderers(), previous)
    except BaseException:
        out.close()
        raise
    return zip_response(out, bundle_name(code, period))


@blp.route("/bundle", methods=["GET"])
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, description="The audit bundle (application/zip)")
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@blp.alt_response(409, schema=ProblemSchema, description="No checkpoint to end at yet")
@blp.alt_response(422, schema=ProblemSchema, description="A bad date or period")
@staff(*BUNDLE_ROLES)
def get_bundle(args: dict[str, Any], code: str) -> ResponseReturnValue:
    """The community's signed audit bundle for the period (both ends included): its complete
    log to the latest signed checkpoint, the ballots opened and the journal entries dated in
    the period, the manifest and its signature. Building it writes nothing."""
    return _send(code, args, None)


@blp.route("/bundle", methods=["POST"])
@blp.arguments(PeriodArgs, location="query")
@blp.arguments(PreviousUpload, location="files")
@blp.response(200, description="The audit bundle with its consistency proof (application/zip)")
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@blp.alt_response(409, schema=ProblemSchema, description="No checkpoint to end at yet")
@blp.alt_response(413, schema=ProblemSchema, description="The upload is larger than 16 MB")
@blp.alt_response(
    422,
    schema=ProblemSchema,
    description="A bad date, or the earlier bundle is unreadable or not of this log's history",
)
@staff(*BUNDLE_ROLES)
def post_bundle(args: dict[str, Any], files: dict[str, Any], code: str) -> ResponseReturnValue:
    """The bundle as with GET, proving with ``proofs/consistency.json`` that it extends the
    earlier bundle (only its ``checkpoint.txt`` is read)."""
    upload: FileStorage = files["previous"]
    content = upload.stream.read(PREVIOUS_MAX_BYTES + 1)
    if len(content) > PREVIOUS_MAX_BYTES:
        abort(413)
    return _send(code, args, content)
