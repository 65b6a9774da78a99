"""The auditor's pages: a community's audit bundle for a period, the verifier keys, and how
to verify a bundle.

- ``/audit/`` the communities the user may audit (auditors, the committee, the authority and
  admins);
- ``/c/<code>/audit/`` the period form, where the bundle would end, the keys;
- ``/c/<code>/audit/bundle.zip`` the bundle: ``GET ?from=&to=``, or ``POST`` with an earlier
  bundle (or its ``checkpoint.txt``) to prove this one extends it;
- ``/audit/keys/<keyid>.vkey`` a verifier key (public, as ``/.well-known/fundvote/keys``);
- ``/audit/how-to-verify`` one page, Chinese then English (public).

Bad input (a date, the earlier bundle) is a page saying what is wrong, never a 5xx.
"""

from __future__ import annotations

import tempfile

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from markupsafe import Markup

from fundvote.access import current_runtime, current_staff, public, require_community, staff
from fundvote.auth import communities_for
from fundvote.bundles import BUNDLE_ROLES, build, bundle_name, latest_end, period_of
from fundvote.errors import error_text, status_for
from fundvote.web.bundle_files import COVER_LOCALES, TemplateRenderers, zip_response
from notary.api import DomainError

bp = Blueprint("audit", __name__)

SPOOL_BYTES = 16 * 1024 * 1024
"""A bundle up to this size is built in memory, a larger one in a temporary file."""
VERIFIER_PYZ = "/audit/fundvote-verify.pyz"
"""Where the offline verifier is served (the verifier's own blueprint)."""


@bp.get("/audit/")
@staff(*BUNDLE_ROLES)
def index() -> ResponseReturnValue:
    principal = current_staff()
    assert principal is not None
    communities = current_runtime().query(communities_for, principal)
    return render_template("audit/index.html", communities=communities)


@bp.get("/c/<code>/audit/")
@staff(*BUNDLE_ROLES)
def community(code: str) -> ResponseReturnValue:
    info = require_community(code)
    rt = current_runtime()
    return render_template(
        "audit/community.html",
        community=info,
        end=latest_end(rt, code),
        keys=rt.keyring.public_keys(),
        start=request.args.get("from", "")[:10],
        stop=request.args.get("to", "")[:10],
        verifier_pyz=VERIFIER_PYZ,
    )


@bp.route("/c/<code>/audit/bundle.zip", methods=["GET", "POST"])
@staff(*BUNDLE_ROLES)
def bundle(code: str) -> ResponseReturnValue:
    info = require_community(code)
    values = request.form if request.method == "POST" else request.args
    upload = request.files.get("previous") if request.method == "POST" else None
    previous = upload.read() if upload is not None and upload.filename else None
    rt = current_runtime()
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (zip_response closes it)
    try:
        period = period_of(values.get("from"), values.get("to"))
        build(rt, code, out, period, TemplateRenderers(), previous)
    except DomainError as error:
        out.close()
        page = render_template(
            "audit/community.html",
            community=info,
            end=latest_end(rt, code),
            keys=rt.keyring.public_keys(),
            start=str(values.get("from", ""))[:10],
            stop=str(values.get("to", ""))[:10],
            verifier_pyz=VERIFIER_PYZ,
            error=error_text(error),
        )
        return page, status_for(error)
    return zip_response(out, bundle_name(code, period))


@bp.get("/audit/keys/<keyid>.vkey")
@public
def verifier_key(keyid: str) -> Response:
    for key in current_runtime().keyring.public_keys():
        if key.key_id == keyid:
            response = Response(key.verifier_key + "\n", mimetype="text/plain")
            response.headers["Content-Disposition"] = f'attachment; filename="{keyid}.vkey"'
            response.headers["Cache-Control"] = "public, max-age=300"
            return response
    abort(404)


@bp.get("/audit/how-to-verify")
@public
def how_to_verify() -> str:
    rt = current_runtime()
    parts = []
    for locale in COVER_LOCALES:
        with force_locale(locale):
            # Our own template, autoescaped: its output is safe HTML.
            part = render_template(
                "audit/_how_part.html",
                keys=rt.keyring.public_keys(),
                verifier_pyz=VERIFIER_PYZ,
                lang="zh-Hans" if locale == "zh_Hans" else "en",
            )
            parts.append(Markup(part))  # noqa: S704
    return render_template("audit/how_to_verify.html", parts=parts)
