"""Staff login and logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from fundvote.access import current_runtime, public, safe_next, staff
from fundvote.auth import InvalidCredentials, authenticate, list_users
from fundvote.errors import error_text, status_for

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(lazy_gettext("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(
        lazy_gettext("Password"), validators=[DataRequired(), Length(max=1024)]
    )


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = LoginForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            rt = current_runtime()
            try:
                principal = rt.run(
                    authenticate,
                    username=form.username.data or "",
                    password=form.password.data or "",
                    max_failures=rt.settings.login_max_failures,
                    lockout_minutes=rt.settings.login_lockout_minutes,
                )
            except InvalidCredentials as exc:
                error = error_text(exc)
                status = status_for(exc)
            else:
                target = safe_next(request.args.get("next")) or url_for("home.index")
                session.clear()  # a fresh session on login: no fixation
                login_user(principal)
                flash(_("You are logged in."), "info")
                return redirect(target)
        else:
            error = _("Enter your username and password.")
            status = 400
    form.password.data = ""
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@staff()
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("home.index"))


@bp.get("/staff")
@staff("admin")
def users() -> ResponseReturnValue:
    """The staff list, for the administrator (accounts are added with ``fundvote user add``)."""
    return render_template("auth/users.html", users=current_runtime().query(list_users))
