"""The property register in the JSON API: ``/api/v1/communities/<code>/...``.

Same roles and masking as the HTML pages (:mod:`fundvote.web.register`): names in clear for
the committee and the administrator only, phones masked for everyone, no ID numbers at all.
Areas are strings with exactly two decimals (``"89.37"``), never floats.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, abort, send_file
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import FileStorage

from estate.api import MAX_FILE_BYTES, RollRejected, format_hundredths
from fundvote import register_data as data
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.api import API_PREFIX, ProblemSchema
from fundvote.api.common import AREA, ApiBlueprint
from fundvote.api.fields import Count, Text
from fundvote.books import import_roll_with_books
from fundvote.errors import error_text, problem_response, roll_problem_text, status_for

ROLL_MAX_BYTES = MAX_FILE_BYTES  # the roll reader refuses anything larger anyway
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BuildingTotalsSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    units = fields.Integer(required=True)
    developer_units = fields.Integer(required=True)
    area = fields.String(required=True, metadata=AREA)


class TotalsSchema(Schema):
    buildings = fields.Integer(required=True)
    units = fields.Integer(required=True)
    developer_units = fields.Integer(required=True)
    owners = fields.Integer(required=True)
    members = fields.Integer(
        required=True,
        metadata={"description": "Voting members: owner sets, developer units as one"},
    )
    area = fields.String(required=True, metadata=AREA)


class CommunityDetailSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    buildings = fields.List(fields.Nested(BuildingTotalsSchema), required=True)


class UnitOwnerSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(
        required=True, metadata={"description": "In clear for committee and admin, else masked"}
    )


class UnitOwnerDetailSchema(UnitOwnerSchema):
    kind = fields.String(required=True)
    phone = fields.String(
        required=True, allow_none=True, metadata={"description": "Masked (138****1234) or null"}
    )


class UnitSchema(Schema):
    code = fields.String(required=True)
    building = fields.String(required=True)
    building_name = fields.String(required=True)
    area = fields.String(required=True, metadata=AREA)
    kind = fields.String(required=True)
    developer_held = fields.Boolean(required=True)
    owners = fields.List(fields.Nested(UnitOwnerSchema), required=True)


class UnitDetailSchema(UnitSchema):
    owners = fields.List(fields.Nested(UnitOwnerDetailSchema), required=True)
    member_units = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Other units of the same voting member"},
    )
    member_area = fields.String(required=True, metadata=AREA)


class UnitPageSchema(Schema):
    items = fields.List(fields.Nested(UnitSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class UnitQuerySchema(Schema):
    q = Text(
        max_length=100,
        metadata={"description": "Unit code, building, or (committee and admin) owner name"},
    )
    building = Text(max_length=64)
    developer = fields.Boolean(load_default=False)
    page = Count(load_default=1, minimum=1, maximum=1_000_000)
    per_page = Count(load_default=data.DEFAULT_PAGE_SIZE, minimum=1, maximum=data.MAX_PAGE_SIZE)


class RollUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The roll file, CSV or XLSX"})


class RollFormatSchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class ImportSummarySchema(Schema):
    source_name = fields.String(required=True)
    source_sha256 = fields.String(required=True, allow_none=True)
    units_created = fields.Integer(required=True)
    units_updated = fields.Integer(required=True)
    units_unchanged = fields.Integer(required=True)
    buildings_created = fields.Integer(required=True)
    owners_created = fields.Integer(required=True)
    owners_updated = fields.Integer(required=True)
    log_index = fields.Integer(required=True)


class RollProblemSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "1 is the header line"})
    field = fields.String(required=True, metadata={"description": "Column, or '' for the row"})
    message = fields.String(required=True, metadata={"description": "In English"})


class RollRejectedSchema(ProblemSchema):
    problems = fields.List(
        fields.Nested(RollProblemSchema),
        metadata={"description": "When the file was read: every problem found in it"},
    )


blp = ApiBlueprint(
    "api_register",
    __name__,
    url_prefix=f"{API_PREFIX}/communities/<code>",
    description="The property register: communities, units, the roll",
)

_DENIED = {"description": "Not logged in, or not allowed for this community"}


def _clear_names() -> bool:
    return data.sees_names(require_staff().role)


def _owner(o: data.OwnerShown, *, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"key": o.key, "name": o.name}
    if detail:
        out.update(kind=o.kind, phone=o.phone)
    return out


def _unit(u: data.UnitRow) -> dict[str, Any]:
    return {
        "code": u.code,
        "building": u.building,
        "building_name": u.building_name,
        "area": format_hundredths(u.area_centi),
        "kind": u.kind,
        "developer_held": u.is_developer_held,
        "owners": [_owner(o) for o in u.owners],
    }


@blp.route("", methods=["GET"])
@blp.response(200, CommunityDetailSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@staff()
def community(code: str) -> dict[str, Any]:
    """The community with its register totals and one line per building."""
    require_community(code)
    totals = current_runtime().query(data.overview, code)
    if totals is None:
        abort(404)
    return {
        "code": totals.code,
        "name": totals.name,
        "address": totals.address,
        "totals": {
            "buildings": totals.buildings,
            "units": totals.units,
            "developer_units": totals.developer_units,
            "owners": totals.owners,
            "members": totals.members,
            "area": format_hundredths(totals.area_centi),
        },
        "buildings": [
            {
                "code": b.code,
                "name": b.name,
                "units": b.units,
                "developer_units": b.developer_units,
                "area": format_hundredths(b.area_centi),
            }
            for b in totals.building_rows
        ],
    }


@blp.route("/units", methods=["GET"])
@blp.arguments(UnitQuerySchema, location="query")
@blp.response(200, UnitPageSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@staff()
def units(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One page of units in code order; owners' names masked unless committee or admin."""
    require_community(code)
    page = current_runtime().query(
        data.units_page,
        code,
        clear_names=_clear_names(),
        search=args.get("q"),
        building=args.get("building") or None,
        developer_only=args["developer"],
        page=args["page"],
        page_size=args["per_page"],
    )
    return {
        "items": [_unit(u) for u in page.items],
        "page": page.page,
        "per_page": page.page_size,
        "total": page.total,
        "pages": page.pages,
    }


@blp.route("/units/<path:unit_code>", methods=["GET"])
@blp.response(200, UnitDetailSchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(404, schema=ProblemSchema, description="No such community or unit")
@staff()
def unit(code: str, unit_code: str) -> dict[str, Any]:
    """One unit with its owners (phones masked) and its voting member's other units."""
    require_community(code)
    rt = current_runtime()
    view = rt.query(data.unit_view, code, unit_code, clear_names=_clear_names(), cipher=rt.cipher)
    if view is None:
        abort(404)
    return {
        "code": view.code,
        "building": view.building,
        "building_name": view.building_name,
        "area": format_hundredths(view.area_centi),
        "kind": view.kind,
        "developer_held": view.is_developer_held,
        "owners": [_owner(o, detail=True) for o in view.owners],
        "member_units": view.member_units,
        "member_area": format_hundredths(view.member_area_centi),
    }


@blp.route("/roll", methods=["POST"])
@blp.arguments(RollUploadSchema, location="files")
@blp.response(200, ImportSummarySchema)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@blp.alt_response(413, schema=ProblemSchema, description="The file is larger than 10 MB")
@blp.alt_response(
    422, schema=RollRejectedSchema, description="The roll was rejected; nothing was written"
)
@staff(*data.IMPORT_ROLES)
def roll_import(files: dict[str, Any], code: str) -> Any:
    """Import a roll file (multipart field ``file``): every row or none.

    On rejection the 422 problem lists every problem with its line, field and message.
    """
    require_community(code)
    upload: FileStorage = files["file"]
    name = (upload.filename or "roll.csv").replace("\\", "/").rsplit("/", 1)[-1][-100:]
    content = upload.stream.read(ROLL_MAX_BYTES + 1)
    if len(content) > ROLL_MAX_BYTES:
        abort(413)
    rt = current_runtime()
    try:
        summary = rt.run(
            import_roll_with_books,
            community_code=code,
            data=content,
            filename=name or "roll.csv",
            cipher=rt.cipher,
        )
    except RollRejected as exc:
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
        "source_name": summary.source_name,
        "source_sha256": summary.source_sha256,
        "units_created": summary.units_created,
        "units_updated": summary.units_updated,
        "units_unchanged": summary.units_unchanged,
        "buildings_created": summary.buildings_created,
        "owners_created": summary.owners_created,
        "owners_updated": summary.owners_updated,
        "log_index": summary.log_index,
    }


@blp.route("/roll", methods=["GET"])
@blp.arguments(RollFormatSchema, location="query")
@blp.response(
    200,
    content_type="text/csv",
    description="The roll file (CSV, or XLSX with format=xlsx); names masked unless "
    "committee or admin; never phone or ID numbers",
)
@blp.alt_response(401, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(403, schema=ProblemSchema, description=_DENIED["description"])
@blp.alt_response(404, schema=ProblemSchema, description="No such community")
@staff(*data.EXPORT_ROLES)
def roll_export(args: dict[str, Any], code: str) -> Response:
    """Export the community's roll in the import format."""
    require_community(code)
    fmt = args["format"]
    rt = current_runtime()
    clear = _clear_names()
    content = rt.query(data.export, code, fmt, clear_names=clear)
    response = send_file(
        io.BytesIO(content),
        mimetype="text/csv; charset=utf-8" if fmt == "csv" else XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{code}-roll{'' if clear else '-masked'}.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
