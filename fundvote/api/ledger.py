"""The ledger's reports in the JSON API: the same use cases as the pages
(:mod:`fundvote.ledger_reports`).

- ``GET /api/v1/communities/<code>/ledger/reports/<report>`` a report as JSON, or as PDF,
  CSV or XLSX with ``format=`` (the twin of the pages' downloads);
- ``POST /api/v1/communities/<code>/ledger/publications`` publish a report to owners;
- ``POST /api/v1/communities/<code>/ledger/statement-links`` issue or reissue an owner's
  statement link (the token in clear only in this answer);
- ``GET /api/v1/results/<code>/ledger/<kind>/<period>`` a published report (public), as
  JSON with its anchor, or as PDF with ``format=pdf``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from fundvote.access import current_runtime, public, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import ApiBlueprint
from fundvote.ledger_reports import (
    PUBLISH_ROLES,
    READ_ROLES,
    build,
    issue_link,
    publish,
    report_request,
    today,
)
from fundvote.urls import public_url
from fundvote.web.ledger_files import report_file
from fundvote.web.ledger_public import REPORT_NAMES
from fundvote.web.results import public_community
from ledger import api as ledger
from notary.api import DomainError

blp = ApiBlueprint(
    "api_ledger",
    __name__,
    url_prefix=API_PREFIX,
    description="Ledger reports, publication to owners, owners' statement links",
)

_DENIED = "Not logged in, or not allowed for this community"


class ReportArgs(Schema):
    format = fields.String(
        load_default="json", validate=validate.OneOf(["json", "pdf", "csv", "xlsx"])
    )
    as_of = fields.String(load_default=None, metadata={"description": "YYYY-MM-DD"})
    year = fields.String(load_default=None)
    quarter = fields.String(load_default=None)
    unit = fields.String(load_default=None)
    start = fields.String(load_default=None, metadata={"description": "YYYY-MM-DD"})
    end = fields.String(load_default=None, metadata={"description": "YYYY-MM-DD"})


class PublishIn(Schema):
    report = fields.String(required=True, validate=validate.OneOf(["disclosure", "public-income"]))
    period = fields.String(
        required=True, validate=validate.Length(max=16), metadata={"example": "2025-Q3"}
    )


class PublicationSchema(Schema):
    kind = fields.String(required=True)
    period = fields.String(required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    content_sha256 = fields.String(required=True)
    log_index = fields.Integer(required=True)
    checkpoint_size = fields.Integer(required=True)
    checkpoint_root = fields.String(required=True)
    checkpoint_note = fields.String(required=True)
    published_at = fields.DateTime(required=True)


class LinkIn(Schema):
    owner = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "The owner's reference on the register"},
    )


class LinkOut(Schema):
    url = fields.String(required=True, metadata={"description": "Shown once; stored as a hash"})
    owner = fields.String(required=True)
    units = fields.List(fields.String(), required=True)
    is_reissue = fields.Boolean(required=True)


class PublicArgs(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "pdf"]))


def _publication(info: ledger.PublicationInfo) -> dict[str, Any]:
    return {
        "kind": info.kind,
        "period": info.period,
        "start": info.start,
        "end": info.end,
        "content_sha256": info.content_sha256,
        "log_index": info.log_index,
        "checkpoint_size": info.checkpoint_size,
        "checkpoint_root": info.checkpoint_root,
        "checkpoint_note": info.checkpoint_note,
        "published_at": info.published_at,
    }


@blp.route("/communities/<code>/ledger/reports/<report>", methods=["GET"])
@blp.arguments(ReportArgs, location="query")
@blp.response(200, description="The report as JSON (amounts in integer fen), PDF, CSV or XLSX")
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such community, report or unit")
@blp.alt_response(422, schema=ProblemSchema, description="A bad date, year, quarter or period")
@staff(*READ_ROLES)
def get_report(args: dict[str, Any], code: str, report: str) -> ResponseReturnValue:
    """A report: trial-balance, funds, disclosure, public-income or unit-statement."""
    community = require_community(code)
    rt = current_runtime()
    params = {k: v for k, v in args.items() if isinstance(v, str) and k != "format"}
    wanted = report_request(report, params, today(rt))
    data = rt.query(build, code, wanted)
    if args["format"] == "json":
        return {"report": report, "params": wanted.params(), **ledger.report_content(data)}
    return report_file(report, data, community, args["format"], f"{code}-{report}")


@blp.route("/communities/<code>/ledger/publications", methods=["POST"])
@blp.arguments(PublishIn)
@blp.response(201, PublicationSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@blp.alt_response(409, schema=ProblemSchema, description="Published already")
@blp.alt_response(422, schema=ProblemSchema, description="A bad period, or not ended yet")
@staff(*PUBLISH_ROLES)
def publish_report(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Publish the annual disclosure (period ``YYYY``) or a quarter's public-income
    statement (``YYYY-Qn``) to owners: its fingerprint is logged and a checkpoint signed."""
    require_community(code)
    info = publish(current_runtime(), require_staff(), code, body["report"], body["period"])
    return _publication(info)


@blp.route("/communities/<code>/ledger/statement-links", methods=["POST"])
@blp.arguments(LinkIn)
@blp.response(201, LinkOut)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED)
@blp.alt_response(404, schema=ProblemSchema, description="No such community or owner")
@staff(*PUBLISH_ROLES)
def issue_statement_link(body: dict[str, Any], code: str) -> dict[str, Any]:
    """Issue an owner's standing statement link, revoking the one they had."""
    require_community(code)
    issued = issue_link(current_runtime(), require_staff(), code, body["owner"])
    return {
        "url": public_url(url_for("ledger_owner.statement", token=issued.token)),
        "owner": issued.owner_ref,
        "units": list(issued.unit_codes),
        "is_reissue": issued.is_reissue,
    }


@blp.route("/results/<code>/ledger/<kind>/<period>", methods=["GET"])
@blp.arguments(PublicArgs, location="query")
@blp.response(200, description="The published report (JSON with its anchor, or PDF)")
@blp.alt_response(404, schema=ProblemSchema, description="Not published")
@blp.doc(security=[])
@public
def published(args: dict[str, Any], code: str, kind: str, period: str) -> ResponseReturnValue:
    """A report published to owners, re-read from the ledger, with its stored fingerprint,
    log index and checkpoint, and whether today's figures match the fingerprint."""
    community = public_community(code)
    rt = current_runtime()
    try:
        info = rt.query(ledger.get_publication, code, kind, period[:16])
        data = rt.query(ledger.build_report, code, kind, period[:16])
    except DomainError:
        abort(404)
    if args["format"] == "pdf":
        return report_file(
            REPORT_NAMES[kind], data, community, "pdf", f"{code}-{kind}-{info.period}", anchor=info
        )
    return {
        "publication": PublicationSchema().dump(_publication(info)),
        "matches": ledger.content_sha256(data) == info.content_sha256,
        "report": ledger.report_content(data),
    }
