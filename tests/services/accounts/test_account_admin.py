"""Login sessions on the server, token expiry and listing, disabling users, password resets
and the record of what was done to an account (issue 8, accounts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fundvote import auth
from fundvote.accounts import AccountEvent, StaffSession
from fundvote.runtime import Runtime
from notary.clock import FixedClock

PASSWORD = "correct horse battery"
HERE = "192.0.2.1"


def _add(runtime: Runtime, username: str = "lin", role: str = "committee") -> auth.Principal:
    return runtime.run(
        auth.add_user,
        username=username,
        password=PASSWORD,
        role=role,
        communities=[] if role == "admin" else ["demo"],
    )


def _log_in(runtime: Runtime, username: str = "lin", password: str = PASSWORD) -> auth.LoggedIn:
    return runtime.run(
        auth.log_in,
        username=username,
        password=password,
        client=HERE,
        max_failures=5,
        lockout_minutes=15,
        idle_minutes=120,
        max_hours=24,
    )


def _holder(runtime: Runtime, secret: str) -> auth.SessionHolder | None:
    return runtime.query(auth.session_holder, secret=secret, idle_minutes=120)


def _events(runtime: Runtime) -> list[tuple[str, int | None, str, str]]:
    with runtime.session_factory() as s:
        rows = s.scalars(select(AccountEvent).order_by(AccountEvent.id))
        return [(e.action, e.actor_id, e.via, e.detail) for e in rows]


@pytest.fixture
def admin(runtime: Runtime, community: int) -> auth.Principal:
    return _add(runtime, "root", "admin")


# -- sessions -----------------------------------------------------------------------------


def test_a_session_is_stored_hashed_and_ends_at_logout(runtime: Runtime, community: int) -> None:
    user = _add(runtime)
    done = _log_in(runtime)
    assert done.principal == user and len(done.session_secret) >= 40
    with runtime.session_factory() as s:
        row = s.scalars(select(StaffSession)).one()
        assert done.session_secret not in row.id_hash and len(row.id_hash) == 64
    holder = _holder(runtime, done.session_secret)
    assert holder is not None and holder.principal == user
    runtime.run(auth.end_session, secret=done.session_secret)
    assert _holder(runtime, done.session_secret) is None
    assert _holder(runtime, "") is None and _holder(runtime, "x" * 500) is None


def test_sessions_end_when_idle_and_at_their_lifetime(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    _add(runtime)
    done = _log_in(runtime)
    clock.advance(minutes=119)
    holder = _holder(runtime, done.session_secret)
    assert holder is not None and holder.is_stale
    runtime.run(auth.touch_session, session_id=holder.session_id)
    again = _holder(runtime, done.session_secret)
    assert again is not None and not again.is_stale
    clock.advance(minutes=119)  # kept alive by the touch
    assert _holder(runtime, done.session_secret) is not None
    clock.advance(minutes=1)  # 120 minutes idle
    assert _holder(runtime, done.session_secret) is None
    # However busy, a session ends max_hours after the login.
    busy = _log_in(runtime)
    for _ in range(23):
        clock.advance(hours=1)
        holder = _holder(runtime, busy.session_secret)
        assert holder is not None
        runtime.run(auth.touch_session, session_id=holder.session_id)
    clock.advance(hours=1)
    assert _holder(runtime, busy.session_secret) is None
    # The ended sessions are deleted at the next login.
    _log_in(runtime)
    with runtime.session_factory() as s:
        assert len(s.scalars(select(StaffSession)).all()) == 1


def test_disabling_ends_sessions_and_stops_tokens_at_once(
    runtime: Runtime, community: int, admin: auth.Principal
) -> None:
    _add(runtime)
    done = _log_in(runtime)
    token = runtime.run(auth.issue_token, username="lin")
    runtime.run_as(admin.user_id, auth.set_user_active, username="lin", is_active=False, via="web")
    assert _holder(runtime, done.session_secret) is None
    assert runtime.query(auth.user_for_token, secret=token.secret) is None
    with pytest.raises(auth.InvalidCredentials):
        _log_in(runtime)
    runtime.run_as(admin.user_id, auth.set_user_active, username="lin", is_active=True, via="web")
    runtime.run_as(admin.user_id, auth.set_user_active, username="lin", is_active=True, via="web")
    assert _holder(runtime, done.session_secret) is None  # ended for good
    assert runtime.query(auth.user_for_token, secret=token.secret) is not None
    assert _log_in(runtime).principal.username == "lin"
    assert _events(runtime) == [
        ("disable", admin.user_id, "web", ""),
        ("enable", admin.user_id, "web", ""),
    ]


def test_an_admin_cannot_disable_themselves(
    runtime: Runtime, community: int, admin: auth.Principal
) -> None:
    with pytest.raises(auth.OwnAccount):
        runtime.run_as(
            admin.user_id, auth.set_user_active, username="root", is_active=False, via="web"
        )
    assert runtime.query(auth.find_user, "root") is not None
    with pytest.raises(auth.UnknownUser):
        runtime.run(auth.set_user_active, username="nobody", is_active=False, via="cli")


def test_a_reset_ends_sessions_and_a_generated_password_is_strong(
    runtime: Runtime, community: int
) -> None:
    _add(runtime)
    done = _log_in(runtime)
    new = runtime.run(auth.reset_password, username="lin", via="cli")
    assert len(new) >= 16 and new != PASSWORD
    assert _holder(runtime, done.session_secret) is None
    with pytest.raises(auth.InvalidCredentials):
        _log_in(runtime)
    assert _log_in(runtime, password=new).principal.username == "lin"
    typed = runtime.run(auth.reset_password, username="lin", password="typed by admin", via="cli")
    assert typed == "typed by admin"
    with pytest.raises(auth.WeakPassword):
        runtime.run(auth.reset_password, username="lin", password="short", via="cli")
    assert _events(runtime) == [("reset_password", None, "cli", "")] * 2
    assert runtime.run(auth.reset_password, username="lin", via="cli") != new


def test_changing_ones_password_needs_the_current_one_and_ends_other_sessions(
    runtime: Runtime, community: int
) -> None:
    user = _add(runtime)
    phone = _log_in(runtime)
    laptop = _log_in(runtime)
    with pytest.raises(auth.WrongPassword):
        runtime.run(
            auth.change_password,
            user_id=user.user_id,
            current="not it at all",
            new="a brand new password",
            idle_minutes=120,
            max_hours=24,
        )
    assert _holder(runtime, phone.session_secret) is not None
    fresh = runtime.run(
        auth.change_password,
        user_id=user.user_id,
        current=PASSWORD,
        new="a brand new password",
        idle_minutes=120,
        max_hours=24,
    )
    assert _holder(runtime, phone.session_secret) is None
    assert _holder(runtime, laptop.session_secret) is None
    assert _holder(runtime, fresh) is not None
    assert _log_in(runtime, password="a brand new password").principal == user


# -- tokens -------------------------------------------------------------------------------


def test_tokens_expire(runtime: Runtime, clock: FixedClock, community: int) -> None:
    _add(runtime)
    default = runtime.run(auth.issue_token, username="lin")
    short = runtime.run(auth.issue_token, username="lin", days=1)
    assert default.expires_at == clock.now() + timedelta(days=90)
    assert short.expires_at == clock.now() + timedelta(days=1)
    clock.advance(hours=23, minutes=59)
    assert runtime.query(auth.user_for_token, secret=short.secret) is not None
    clock.advance(minutes=1)
    assert runtime.query(auth.user_for_token, secret=short.secret) is None
    assert runtime.query(auth.user_for_token, secret=default.secret) is not None
    clock.advance(days=89)
    assert runtime.query(auth.user_for_token, secret=default.secret) is None


def test_tokens_are_listed_without_secrets_and_revoked_by_their_owner_only(
    runtime: Runtime, clock: FixedClock, community: int, admin: auth.Principal
) -> None:
    lin = _add(runtime)
    _add(runtime, "wu")
    first = runtime.run(auth.issue_token, username="lin", label="laptop")
    second = runtime.run(auth.issue_token, username="lin", label="phone", days=1)
    theirs = runtime.run(auth.issue_token, username="wu")
    clock.advance(days=2)
    listed = runtime.query(auth.list_tokens, username="LIN")
    assert [(t.id, t.label, t.is_valid) for t in listed] == [
        (second.token_id, "phone", False),
        (first.token_id, "laptop", True),
    ]
    assert listed[1].expires_at == first.expires_at and listed[1].last_used_at is None
    assert first.secret not in repr(listed)
    # A user cannot revoke (or learn of) another user's token.
    with pytest.raises(auth.UnknownToken):
        runtime.run_as(
            lin.user_id, auth.revoke_token, token_id=theirs.token_id, username="lin", via="api"
        )
    assert runtime.query(auth.user_for_token, secret=theirs.secret) is not None
    runtime.run_as(
        lin.user_id, auth.revoke_token, token_id=first.token_id, username="lin", via="api"
    )
    runtime.run_as(
        admin.user_id, auth.revoke_token, token_id=theirs.token_id, username="wu", via="web"
    )
    assert runtime.query(auth.user_for_token, secret=first.secret) is None
    assert runtime.query(auth.user_for_token, secret=theirs.secret) is None
    assert _events(runtime) == [
        ("revoke_token", lin.user_id, "api", f"token {first.token_id}"),
        ("revoke_token", admin.user_id, "web", f"token {theirs.token_id}"),
    ]
    with pytest.raises(auth.UnknownToken):
        runtime.run(auth.revoke_token, token_id=2**64, via="cli")
    with pytest.raises(auth.UnknownUser):
        runtime.query(auth.list_tokens, username="nobody")


def test_the_token_check_is_one_statement(runtime: Runtime, community: int) -> None:
    """The bearer check is on every API call: one SELECT checks the hash, revocation,
    expiry and the user's state and brings the communities (no extra round trip)."""
    from sqlalchemy import event

    user = _add(runtime)
    issued = runtime.run(auth.issue_token, username="lin")
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        holder = runtime.query(auth.user_for_token, secret=issued.secret)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    assert holder is not None and holder.principal == user
    assert len(statements) == 1, statements
    assert "expires_at" in statements[0] and "is_active" in statements[0]


def test_user_detail(runtime: Runtime, community: int, admin: auth.Principal) -> None:
    _add(runtime)
    _log_in(runtime)
    token = runtime.run(auth.issue_token, username="lin")
    runtime.run_as(admin.user_id, auth.revoke_token, token_id=token.token_id, via="web")
    detail = runtime.query(auth.user_detail, "lin")
    assert detail.user.username == "lin" and detail.sessions == 1
    assert [t.id for t in detail.tokens] == [token.token_id]
    assert [(e.action, e.actor, e.via) for e in detail.events] == [("revoke_token", "root", "web")]
    with pytest.raises(auth.UnknownUser):
        runtime.query(auth.user_detail, "nobody")
