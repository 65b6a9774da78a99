"""The committee's property-register pages: overview, units, owners, roll import and export.

Who sees what (see docs/web-shell.md, "Register routes"):

- overview, units, unit detail: every staff role of the community; names in clear for the
  committee and the administrator only, masked (张*明) for everyone else; phones always masked;
- owners list: committee, admin, housing authority, auditor (not the property manager, who
  needs units and areas but not a directory of owners);
- roll import: committee and admin; roll export: committee, admin, auditor (names masked in
  the auditor's file).
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from estate.api import (
    MAX_FILE_BYTES,
    ImportSummary,
    RollProblem,
    RollRejected,
    format_hundredths,
)
from fundvote import register_data as data
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.books import import_roll_with_books
from fundvote.errors import roll_problem_text, status_for
from fundvote.inputs import parse_int

bp = Blueprint("register", __name__, url_prefix="/c/<code>")

ROLL_MAX_BYTES = MAX_FILE_BYTES  # the roll reader refuses anything larger anyway
ROLL_SUFFIXES = (".csv", ".xlsx")
SHANGHAI = ZoneInfo("Asia/Shanghai")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

UNIT_KINDS: Mapping[str, Any] = {
    "flat": lazy_gettext("flat"),
    "shop": lazy_gettext("shop"),
    "parking": lazy_gettext("parking space"),
}
OWNER_KINDS: Mapping[str, Any] = {
    "person": lazy_gettext("person"),
    "organisation": lazy_gettext("organisation"),
}
ROLL_FIELDS: Mapping[str, Any] = {
    "unit": lazy_gettext("unit code"),
    "building": lazy_gettext("building"),
    "area": lazy_gettext("area"),
    "owners": lazy_gettext("owners"),
    "developer": lazy_gettext("developer-held"),
    "owner_names": lazy_gettext("owner names"),
    "owner_phones": lazy_gettext("owner phones"),
    "kind": lazy_gettext("kind"),
}
ROLL_FIELD_RULES: Mapping[str, Any] = {
    "": lazy_gettext(
        "The first line must be the header: unit, building, area, owners, developer, and "
        "optionally owner_names, owner_phones, kind. Save the file as CSV (UTF-8) or XLSX."
    ),
    "unit": lazy_gettext("Every row needs a unit code, and each unit code may appear only once."),
    "building": lazy_gettext("Every row needs a building code."),
    "area": lazy_gettext(
        "The area is in square metres, greater than zero, with at most two decimals, like 89.37."
    ),
    "owners": lazy_gettext(
        "Owner keys are separated by ';', none empty or repeated. A unit that is not "
        "developer-held needs at least one owner."
    ),
    "developer": lazy_gettext("Write 1 for a unit the developer still holds, else leave empty."),
    "owner_names": lazy_gettext(
        "One name per owner key, in the same order, separated by ';'. The same owner must "
        "have the same name on every row."
    ),
    "owner_phones": lazy_gettext(
        "One phone number per owner key, in the same order, separated by ';'. The same owner "
        "must have the same phone on every row."
    ),
    "kind": lazy_gettext("The kind is flat, shop or parking (empty means flat)."),
}
ROLL_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("unit", lazy_gettext("unit code, e.g. 03-1204")),
    ("building", lazy_gettext("building code, e.g. 03")),
    ("area", lazy_gettext("registered area in m², e.g. 89.37")),
    ("owners", lazy_gettext("owner keys, co-owners separated by ';'")),
    ("developer", lazy_gettext("1 if the developer still holds the unit")),
    ("owner_names", lazy_gettext("optional: names in the same order as the owners")),
    ("owner_phones", lazy_gettext("optional: phone numbers, stored encrypted")),
    ("kind", lazy_gettext("optional: flat, shop or parking")),
)


@bp.app_template_filter("area")
def area_filter(centi: int) -> str:
    """Integer 0.01 m² for reading: ``89.37``, ``146,715.98``, ``-1.50`` (exports and the API
    stay ungrouped); see ``estate.quantities.format_hundredths``."""
    return format_hundredths(centi, grouping=True)


def _role() -> str:
    return require_staff().role


def _int_arg(name: str, default: int) -> int:
    value = parse_int(request.args.get(name), lo=1, hi=99_999_999)
    return default if value is None else value


def _page_size() -> int:
    size = _int_arg("size", data.DEFAULT_PAGE_SIZE)
    return size if size in data.PAGE_SIZES else data.DEFAULT_PAGE_SIZE


def _page_url(endpoint: str, code: str, page: int) -> str:
    values: dict[str, Any] = {
        k: v for k, v in request.args.items() if k not in ("page", "lang", "code") and v
    }
    values.update(code=code, page=page)
    return url_for(endpoint, **values)


def _context(code: str) -> dict[str, Any]:
    community = require_community(code)
    role = _role()
    return {
        "community": community,
        "clear_names": data.sees_names(role),
        "may_import": role in data.IMPORT_ROLES,
        "may_export": role in data.EXPORT_ROLES,
        "may_list_owners": role in data.OWNER_LIST_ROLES,
        "unit_kinds": UNIT_KINDS,
        "owner_kinds": OWNER_KINDS,
    }


@bp.get("/")
@staff()
def overview(code: str) -> str:
    ctx = _context(code)
    totals = current_runtime().query(data.overview, code)
    if totals is None:
        abort(404)
    return render_template("register/overview.html", totals=totals, **ctx)


@bp.get("/units")
@staff()
def units(code: str) -> str:
    ctx = _context(code)
    search = request.args.get("q", "").strip()[:100]
    building = request.args.get("building", "").strip()[:64]
    developer = request.args.get("developer") == "1"
    page = current_runtime().query(
        data.units_page,
        code,
        clear_names=ctx["clear_names"],
        search=search,
        building=building or None,
        developer_only=developer,
        page=_int_arg("page", 1),
        page_size=_page_size(),
    )
    return render_template(
        "register/units.html",
        page=page,
        search=search,
        building=building,
        developer=developer,
        buildings=current_runtime().query(data.building_choices, code),
        page_sizes=data.PAGE_SIZES,
        page_url=lambda n: _page_url("register.units", code, n),
        **ctx,
    )


@bp.get("/units/<path:unit_code>")
@staff()
def unit(code: str, unit_code: str) -> str:
    ctx = _context(code)
    rt = current_runtime()
    view = rt.query(
        data.unit_view, code, unit_code, clear_names=ctx["clear_names"], cipher=rt.cipher
    )
    if view is None:
        abort(404)
    return render_template("register/unit.html", unit=view, **ctx)


@bp.get("/owners")
@staff(*data.OWNER_LIST_ROLES)
def owners(code: str) -> str:
    ctx = _context(code)
    rt = current_runtime()
    search = request.args.get("q", "").strip()[:100]
    page = rt.query(
        data.owners_page,
        code,
        clear_names=ctx["clear_names"],
        cipher=rt.cipher,
        search=search,
        page=_int_arg("page", 1),
        page_size=_page_size(),
    )
    return render_template(
        "register/owners.html",
        page=page,
        search=search,
        page_sizes=data.PAGE_SIZES,
        page_url=lambda n: _page_url("register.owners", code, n),
        **ctx,
    )


def _upload_name(raw: str | None) -> str:
    """The uploaded file's base name (no directories), at most 100 characters."""
    name = posixpath.basename((raw or "").replace("\\", "/")).strip()
    return name[-100:]


@bp.route("/roll/import", methods=["GET", "POST"])
@staff(*data.IMPORT_ROLES)
def roll_import(code: str) -> ResponseReturnValue:
    ctx = _context(code)
    ctx["max_mb"] = ROLL_MAX_BYTES // (1024 * 1024)
    ctx["roll_columns"] = ROLL_COLUMNS
    if request.method == "GET":
        return render_template("register/import.html", **ctx)
    if (request.content_length or 0) > ROLL_MAX_BYTES + 64 * 1024:
        return _import_error(ctx, _("The file is larger than %(mb)s MB.", mb=ctx["max_mb"]), 413)
    upload = request.files.get("file")
    name = _upload_name(upload.filename if upload else None)
    if upload is None or not name:
        return _import_error(ctx, _("Choose a roll file (CSV or XLSX) first."), 400)
    if not name.lower().endswith(ROLL_SUFFIXES):
        return _import_error(ctx, _("Only CSV or XLSX files can be imported."), 400)
    content = upload.stream.read(ROLL_MAX_BYTES + 1)
    if len(content) > ROLL_MAX_BYTES:
        return _import_error(ctx, _("The file is larger than %(mb)s MB.", mb=ctx["max_mb"]), 413)
    rt = current_runtime()
    try:
        summary: ImportSummary = rt.run(
            import_roll_with_books,
            community_code=code,
            data=content,
            filename=name,
            cipher=rt.cipher,
        )
    except RollRejected as exc:
        problems: list[RollProblem] = exc.problems
        fields = sorted(
            {p.field for p in problems},
            key=lambda f: list(ROLL_FIELD_RULES).index(f) if f in ROLL_FIELD_RULES else 99,
        )
        html = render_template(
            "register/import.html",
            filename=name,
            problems=problems,
            field_labels=ROLL_FIELDS,
            rules=[(f, ROLL_FIELD_RULES[f]) for f in fields if f in ROLL_FIELD_RULES],
            problem_text=roll_problem_text,
            **ctx,
        )
        return html, status_for(exc)
    return render_template("register/import_done.html", filename=name, summary=summary, **ctx)


def _import_error(ctx: dict[str, Any], message: str, status: int) -> ResponseReturnValue:
    return render_template("register/import.html", error=message, **ctx), status


def _export(code: str, fmt: str) -> Response:
    require_community(code)
    clear = data.sees_names(_role())
    rt = current_runtime()
    content = rt.query(data.export, code, fmt, clear_names=clear)
    if fmt == "csv":
        # A BOM so that Excel (common on committee PCs) reads UTF-8; the roll parser accepts it.
        content = b"\xef\xbb\xbf" + content
    day = rt.clock.now().astimezone(SHANGHAI)
    suffix = "" if clear else "-masked"
    response = send_file(
        io.BytesIO(content),
        mimetype="text/csv; charset=utf-8" if fmt == "csv" else XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"{code}-roll{suffix}-{day:%Y%m%d}.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/roll/export.csv")
@staff(*data.EXPORT_ROLES)
def roll_export_csv(code: str) -> Response:
    return _export(code, "csv")


@bp.get("/roll/export.xlsx")
@staff(*data.EXPORT_ROLES)
def roll_export_xlsx(code: str) -> Response:
    return _export(code, "xlsx")
