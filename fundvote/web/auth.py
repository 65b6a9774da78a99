"""Staff login and logout, the user's own API tokens, and the administrator's account pages
(disable and re-enable, reset a password, lift login locks, list and revoke tokens).

Every form is a plain POST with a CSRF token; destructive actions (disable, reset a password,
revoke a token) need their confirmation box ticked, so they work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from fundvote import auth
from fundvote.access import (
    SESSION_KEY,
    client_address,
    current_runtime,
    public,
    require_staff,
    safe_next,
    staff,
)
from fundvote.auth import InvalidCredentials, list_users, log_in
from fundvote.errors import error_text, status_for
from notary.api import DomainError

bp = Blueprint("auth", __name__)

ACTION_LABELS: Mapping[str, Any] = {
    "disable": lazy_gettext("Account disabled"),
    "enable": lazy_gettext("Account enabled again"),
    "reset_password": lazy_gettext("Password reset"),
    "change_password": lazy_gettext("Password changed by the user"),
    "unlock": lazy_gettext("Login locks lifted"),
    "revoke_token": lazy_gettext("API token revoked"),
}
CHANNEL_LABELS: Mapping[str, Any] = {
    "web": lazy_gettext("on the web"),
    "api": lazy_gettext("through the API"),
    "cli": lazy_gettext("on the server's command line"),
}


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
            s = rt.settings
            try:
                done = rt.run(
                    log_in,
                    username=form.username.data or "",
                    password=form.password.data or "",
                    client=client_address(),
                    max_failures=s.login_max_failures,
                    lockout_minutes=s.login_lockout_minutes,
                    idle_minutes=s.session_idle_minutes,
                    max_hours=s.session_max_hours,
                )
            except InvalidCredentials as exc:
                error = error_text(exc)
                status = status_for(exc)
            else:
                target = safe_next(request.args.get("next")) or url_for("home.index")
                session.clear()  # a fresh session on login: no fixation
                session[SESSION_KEY] = done.session_secret
                login_user(done.principal)
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
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        current_runtime().run(auth.end_session, secret=secret)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("home.index"))


def _confirmed() -> bool:
    """Whether the form's confirmation box is ticked; flashes why not when it is not."""
    if request.form.get("confirm") == "yes":
        return True
    flash(_("Tick the confirmation box to go ahead."), "error")
    return False


def _flash_error(exc: DomainError) -> None:
    flash(error_text(exc), "error")


# -- the user's own tokens ----------------------------------------------------------------


@bp.get("/account")
@staff()
def account() -> ResponseReturnValue:
    """The logged-in user's own account: change the password; API tokens, with a revoke
    button each."""
    principal = require_staff()
    tokens = current_runtime().query(auth.list_tokens, username=principal.username)
    return render_template(
        "auth/account.html",
        tokens=tokens,
        revoke_endpoint="auth.revoke_own_token",
        revoke_args={},
    )


@bp.post("/account/password")
@staff()
def change_password() -> ResponseReturnValue:
    """Change one's own password: every other login of the account ends, this one goes on."""
    principal = require_staff()
    new = request.form.get("password", "")[:1024]
    if new != request.form.get("password_again", "")[:1024]:
        flash(_("The two passwords differ."), "error")
        return redirect(url_for("auth.account"))
    rt = current_runtime()
    try:
        secret = rt.run_as(
            principal.user_id,
            auth.change_password,
            user_id=principal.user_id,
            current=request.form.get("current", "")[:1024],
            new=new,
            idle_minutes=rt.settings.session_idle_minutes,
            max_hours=rt.settings.session_max_hours,
        )
    except DomainError as exc:
        _flash_error(exc)
    else:
        session[SESSION_KEY] = secret
        flash(_("Your password is changed. Your other logins have ended."), "ok")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@staff()
def revoke_own_token(token_id: int) -> ResponseReturnValue:
    principal = require_staff()
    if _confirmed():
        try:
            current_runtime().run_as(
                principal.user_id,
                auth.revoke_token,
                token_id=token_id,
                username=principal.username,
                via="web",
            )
        except auth.UnknownToken:
            abort(404)
        flash(_("The token is revoked. Programs using it can no longer call the API."), "ok")
    return redirect(url_for("auth.account"))


# -- the administrator's pages ------------------------------------------------------------


@bp.get("/staff")
@staff("admin")
def users() -> ResponseReturnValue:
    """The staff list, for the administrator (accounts are added with ``fundvote user add``)."""
    return render_template("auth/users.html", users=current_runtime().query(list_users))


def _detail_or_404(username: str) -> auth.UserDetail:
    if not auth.is_username(username):
        abort(404)
    try:
        return current_runtime().query(auth.user_detail, username)
    except auth.UnknownUser:
        abort(404)


def _back(username: str) -> ResponseReturnValue:
    return redirect(url_for("auth.user", username=username))


@bp.get("/staff/<username>")
@staff("admin")
def user(username: str) -> ResponseReturnValue:
    """One account: its state, locks, tokens and history, and the forms to change them."""
    detail = _detail_or_404(username)
    return render_template(
        "auth/user.html",
        detail=detail,
        tokens=detail.tokens,
        is_self=detail.user.username == require_staff().username,
        revoke_endpoint="auth.revoke_token",
        revoke_args={"username": detail.user.username},
        account_actions=ACTION_LABELS,
        account_channels=CHANNEL_LABELS,
    )


@bp.post("/staff/<username>/disable")
@staff("admin")
def disable(username: str) -> ResponseReturnValue:
    detail = _detail_or_404(username)
    if _confirmed():
        try:
            current_runtime().run_as(
                require_staff().user_id,
                auth.set_user_active,
                username=detail.user.username,
                is_active=False,
                via="web",
            )
        except DomainError as exc:
            _flash_error(exc)
        else:
            flash(_("The account is disabled. Its logins and API tokens no longer work."), "ok")
    return _back(detail.user.username)


@bp.post("/staff/<username>/enable")
@staff("admin")
def enable(username: str) -> ResponseReturnValue:
    detail = _detail_or_404(username)
    current_runtime().run_as(
        require_staff().user_id,
        auth.set_user_active,
        username=detail.user.username,
        is_active=True,
        via="web",
    )
    flash(_("The account is enabled again."), "ok")
    return _back(detail.user.username)


@bp.post("/staff/<username>/unlock")
@staff("admin")
def unlock(username: str) -> ResponseReturnValue:
    detail = _detail_or_404(username)
    current_runtime().run_as(
        require_staff().user_id, auth.unlock_user, username=detail.user.username, via="web"
    )
    flash(_("Every login lock of the account is lifted."), "ok")
    return _back(detail.user.username)


@bp.post("/staff/<username>/password")
@staff("admin")
def reset_password(username: str) -> ResponseReturnValue:
    """Set a new password (typed twice) or, with both fields empty, generate one and show it
    once on the page that answers (never in a flash message: those travel in the cookie)."""
    detail = _detail_or_404(username)
    if not _confirmed():
        return _back(detail.user.username)
    password = request.form.get("password", "")[:1024]
    again = request.form.get("password_again", "")[:1024]
    if password != again:
        flash(_("The two passwords differ."), "error")
        return _back(detail.user.username)
    try:
        new = current_runtime().run_as(
            require_staff().user_id,
            auth.reset_password,
            username=detail.user.username,
            password=password or None,
            via="web",
        )
    except DomainError as exc:
        _flash_error(exc)
        return _back(detail.user.username)
    return render_template(
        "auth/password_reset.html", user=detail.user, generated=None if password else new
    )


@bp.post("/staff/<username>/tokens/<int:token_id>/revoke")
@staff("admin")
def revoke_token(username: str, token_id: int) -> ResponseReturnValue:
    detail = _detail_or_404(username)
    if _confirmed():
        try:
            current_runtime().run_as(
                require_staff().user_id,
                auth.revoke_token,
                token_id=token_id,
                username=detail.user.username,
                via="web",
            )
        except auth.UnknownToken:
            abort(404)
        flash(_("The token is revoked. Programs using it can no longer call the API."), "ok")
    return _back(detail.user.username)
