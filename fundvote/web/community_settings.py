"""The community's settings page: ``/c/<code>/settings``.

Every staff user of the community sees the settings in force and their history (who, when,
what, why). The committee (or an admin) changes the deemed-majority clause, the binding
result and the publicity period in one form; an authority user records who holds the fund in
another. Both perform :func:`fundvote.community_settings.change_community_settings`, the use
case the JSON API and ``fundvote community set`` perform too. A change answers with a redirect
(PRG); a refusal shows the page again with the message at the form and the values entered.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from estate.api import (
    EMERGENCY_PUBLISH_DAYS_MAX,
    EMERGENCY_PUBLISH_DAYS_MIN,
    MAX_BASIS,
    PUBLICITY_DAYS_MAX,
    PUBLICITY_DAYS_MIN,
)
from fundvote.access import current_runtime, require_community, require_staff, staff
from fundvote.community_settings import (
    change_community_settings,
    may_set_holder,
    may_set_rules,
    settings_page,
)
from fundvote.errors import error_text, status_for
from fundvote.inputs import parse_int, text_problem
from notary.api import DomainError

bp = Blueprint("community_settings", __name__, url_prefix="/c/<code>/settings")


def _render(code: str, *, status: int = 200, **extra: Any) -> ResponseReturnValue:
    community = require_community(code)
    principal = require_staff()
    page = current_runtime().query(settings_page, code)
    current = page.settings
    rules_form = {
        "deemed_majority": "on" if current.deemed_majority_enabled else "off",
        "binding": current.binding_result,
        "publicity_days": str(current.publicity_days),
        "emergency_publish_days": str(current.emergency_publish_days),
        "basis": "",
    }
    rules_form.update(extra.pop("rules_form", {}))
    holder_form = {"fund_holder": current.fund_holder, "basis": "", "document_sha256": ""}
    holder_form.update(extra.pop("holder_form", {}))
    html = render_template(
        "register/settings.html",
        community=community,
        page=page,
        may_set_rules=may_set_rules(principal, community.id),
        may_set_holder=may_set_holder(principal, community.id),
        rules_form=rules_form,
        holder_form=holder_form,
        days_min=PUBLICITY_DAYS_MIN,
        days_max=PUBLICITY_DAYS_MAX,
        emergency_days_min=EMERGENCY_PUBLISH_DAYS_MIN,
        emergency_days_max=EMERGENCY_PUBLISH_DAYS_MAX,
        max_basis=MAX_BASIS,
        **extra,
    )
    return html, status


@bp.get("/")
@staff()
def show(code: str) -> ResponseReturnValue:
    return _render(code)


def _basis(form: dict[str, str]) -> str | None:
    text = form["basis"].strip()
    if not text or text_problem(text, max_length=MAX_BASIS) is not None:
        return None
    return text


@bp.post("/rules")
@staff("committee", "admin")
def rules(code: str) -> ResponseReturnValue:
    f = request.form
    form = {
        "deemed_majority": f.get("deemed_majority", ""),
        "binding": f.get("binding", ""),
        "publicity_days": f.get("publicity_days", "").strip()[:10],
        "emergency_publish_days": f.get("emergency_publish_days", "").strip()[:10],
        "basis": f.get("basis", "")[: MAX_BASIS + 1],
    }
    errors: dict[str, str] = {}
    if form["deemed_majority"] not in ("on", "off"):
        errors["deemed_majority"] = _("Choose on or off.")
    if form["binding"] not in ("plain", "deemed"):
        errors["binding"] = _("Choose which result binds.")
    days = parse_int(form["publicity_days"], lo=PUBLICITY_DAYS_MIN, hi=PUBLICITY_DAYS_MAX)
    if days is None:
        errors["publicity_days"] = _(
            "Enter a whole number of days from %(min)s to %(max)s.",
            min=PUBLICITY_DAYS_MIN,
            max=PUBLICITY_DAYS_MAX,
        )
    # A form from before the field existed leaves the period as it is.
    given = "emergency_publish_days" in f
    emergency_days = parse_int(
        form["emergency_publish_days"],
        lo=EMERGENCY_PUBLISH_DAYS_MIN,
        hi=EMERGENCY_PUBLISH_DAYS_MAX,
    )
    if given and emergency_days is None:
        errors["emergency_publish_days"] = _(
            "Enter a whole number of days from %(min)s to %(max)s.",
            min=EMERGENCY_PUBLISH_DAYS_MIN,
            max=EMERGENCY_PUBLISH_DAYS_MAX,
        )
    basis = _basis(form)
    if basis is None:
        errors["basis"] = _(
            "Cite the management rules or the owners' decision (at most %(max)s characters).",
            max=MAX_BASIS,
        )
    if errors:
        return _render(code, status=422, rules_form=form, rules_errors=errors)
    assert basis is not None and days is not None
    try:
        change_community_settings(
            current_runtime(),
            require_staff(),
            code,
            basis=basis,
            deemed_majority_enabled=form["deemed_majority"] == "on",
            binding_result=form["binding"],
            publicity_days=days,
            emergency_publish_days=emergency_days,
        )
    except DomainError as error:
        return _render(
            code, status=status_for(error), rules_form=form, rules_error=error_text(error)
        )
    flash(_("The settings are changed and the change is logged."), "ok")
    return redirect(url_for("community_settings.show", code=code))


@bp.post("/fund-holder")
@staff("authority")
def fund_holder(code: str) -> ResponseReturnValue:
    f = request.form
    form = {
        "fund_holder": f.get("fund_holder", ""),
        "basis": f.get("basis", "")[: MAX_BASIS + 1],
        "document_sha256": f.get("document_sha256", "").strip()[:100],
    }
    errors: dict[str, str] = {}
    if form["fund_holder"] not in ("authority", "assembly"):
        errors["fund_holder"] = _("Choose who holds the fund.")
    basis = _basis(form)
    if basis is None:
        errors["basis"] = _(
            "Cite the owners' decision (at most %(max)s characters).", max=MAX_BASIS
        )
    if errors:
        return _render(code, status=422, holder_form=form, holder_errors=errors)
    assert basis is not None
    try:
        change_community_settings(
            current_runtime(),
            require_staff(),
            code,
            basis=basis,
            fund_holder=form["fund_holder"],
            document_sha256=form["document_sha256"],
        )
    except DomainError as error:
        return _render(
            code, status=status_for(error), holder_form=form, holder_error=error_text(error)
        )
    flash(_("Who holds the fund is recorded and the change is logged."), "ok")
    return redirect(url_for("community_settings.show", code=code))
