"""Staff accounts against a real database: users, passwords, lockout, tokens, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from fundvote import auth
from fundvote.accounts import AccountEvent, ApiToken, LoginFailure, StaffUser
from fundvote.runtime import Runtime
from notary.clock import FixedClock
from tests.conftest import SHIPPED_HASHER
from tests.http.conftest import make_community

PASSWORD = "correct horse battery"


def _add(
    runtime: Runtime,
    username: str = "lin",
    role: str = "committee",
    communities: tuple[str, ...] = ("demo",),
    password: str = PASSWORD,
) -> auth.Principal:
    return runtime.run(
        auth.add_user,
        username=username,
        password=password,
        role=role,
        communities=list(communities),
        display_name="林志远",
    )


HERE = "192.0.2.1"
THERE = "198.51.100.7"


def _login(
    runtime: Runtime, username: str = "lin", password: str = PASSWORD, client: str = HERE
) -> auth.Principal:
    return runtime.run(
        auth.authenticate,
        username=username,
        password=password,
        client=client,
        max_failures=3,
        lockout_minutes=15,
    )


def _failures(runtime: Runtime) -> list[tuple[str, int, int, object]]:
    with runtime.session_factory() as s:
        rows = s.scalars(select(LoginFailure).order_by(LoginFailure.client))
        return [(r.client, r.failures, r.locks, r.locked_until) for r in rows]


def test_add_user_stores_an_argon2id_hash_and_the_scope(runtime: Runtime, community: int) -> None:
    principal = _add(runtime, username="Lin")
    assert principal.username == "lin"
    assert principal.community_ids == frozenset({community})
    assert not principal.is_admin and principal.may_act_for(community)
    assert not principal.may_act_for(community + 1)
    with runtime.session_factory() as s:
        user = s.scalars(select(StaffUser)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert user.created_at == runtime.clock.now()
        assert user.is_active


def test_production_hashes_use_the_recommended_parameters(
    runtime: Runtime, community: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes cheaply (``tests/conftest.py``); the service itself, as it ships,
    stores argon2id at RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes)."""
    monkeypatch.setattr(auth, "_hasher", SHIPPED_HASHER)
    _add(runtime, username="Lin")
    with runtime.session_factory() as s:
        stored = s.scalars(select(StaffUser.password_hash)).one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert _login(runtime).username == "lin"


def test_admin_sees_every_community_without_links(runtime: Runtime, community: int) -> None:
    admin = _add(runtime, username="root", role="admin", communities=("demo",))
    assert admin.community_ids == frozenset()
    other = make_community(runtime, "other", "其他小区")
    assert admin.may_act_for(other)
    assert [c.code for c in runtime.query(auth.communities_for, admin)] == [
        "demo",
        "other",
    ]
    committee = _add(runtime)
    assert [c.code for c in runtime.query(auth.communities_for, committee)] == ["demo"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"password": "short"}, auth.WeakPassword),
        ({"password": "123456789"}, auth.WeakPassword),
        ({"role": "owner"}, auth.UnknownRole),
        ({"communities": ()}, auth.CommunityRequired),
        ({"communities": ("nowhere",)}, auth.UnknownCommunity),
        ({"username": "x"}, auth.InvalidUsername),
        ({"username": "has space"}, auth.InvalidUsername),
    ],
)
def test_add_user_refuses_bad_input(
    runtime: Runtime, community: int, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _add(runtime, **kwargs)  # type: ignore[arg-type]
    with runtime.session_factory() as s:
        assert s.scalars(select(StaffUser)).all() == []


def test_ten_characters_is_enough(runtime: Runtime, community: int) -> None:
    _add(runtime, password="0123456789")


def test_usernames_are_unique(runtime: Runtime, community: int) -> None:
    _add(runtime)
    with pytest.raises(auth.UsernameTaken):
        _add(runtime, username="LIN")


def test_role_is_a_database_check(runtime: Runtime) -> None:
    with pytest.raises(IntegrityError), runtime.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_user (username, display_name, role, password_hash, "
                "is_active, failed_logins, created_at) VALUES "
                "('x1', 'x', 'owner', 'h', true, 0, :at)"
            ),
            {"at": runtime.clock.now().replace(tzinfo=None)},
        )


def test_authenticate_accepts_the_right_password(runtime: Runtime, community: int) -> None:
    added = _add(runtime)
    assert _login(runtime, username="LIN ") == added


def test_wrong_password_unknown_user_and_disabled_user_look_the_same(
    runtime: Runtime, community: int
) -> None:
    _add(runtime)
    _add(runtime, username="gone")
    with runtime.session_factory.begin() as s:
        s.scalars(select(StaffUser).where(StaffUser.username == "gone")).one().is_active = False
    messages = set()
    for username, password in [
        ("lin", "wrong password!"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),
    ]:
        with pytest.raises(auth.InvalidCredentials) as caught:
            _login(runtime, username=username, password=password)
        messages.add((caught.value.message, tuple(caught.value.params.items())))
    assert len(messages) == 1


def test_lockout_after_repeated_failures_then_expiry(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    _add(runtime)
    for _ in range(3):
        with pytest.raises(auth.InvalidCredentials):
            _login(runtime, password="wrong password!")
    assert _failures(runtime) == [(HERE, 0, 1, clock.now() + timedelta(minutes=15))]
    # Locked: even the right password is refused from this address, with the same message.
    with pytest.raises(auth.InvalidCredentials):
        _login(runtime)
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(auth.InvalidCredentials):
        _login(runtime)
    clock.advance(seconds=1)
    assert _login(runtime).username == "lin"
    assert _failures(runtime) == []  # a success clears the pair


def test_a_stranger_cannot_lock_the_account_for_everyone(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    """The old lockout counted per account: five wrong passwords from anywhere shut the
    owner out too. Now only the guessing address is locked."""
    _add(runtime)
    for _ in range(3):
        with pytest.raises(auth.InvalidCredentials):
            _login(runtime, password="wrong password!", client=THERE)
    with pytest.raises(auth.InvalidCredentials):
        _login(runtime, client=THERE)
    assert _login(runtime, client=HERE).username == "lin"
    assert [row[0] for row in _failures(runtime)] == [THERE]  # the stranger is still locked


def test_repeated_locks_grow_but_stay_bounded(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    _add(runtime)
    periods = []
    for _ in range(10):
        for _ in range(3):
            with pytest.raises(auth.InvalidCredentials):
                _login(runtime, password="wrong password!", client=THERE)
        (_client, _f, _locks, until) = _failures(runtime)[0]
        assert isinstance(until, type(clock.now()))
        periods.append(until - clock.now())
        clock.advance(seconds=int(periods[-1].total_seconds()))
    minutes = [int(p.total_seconds() // 60) for p in periods]
    assert minutes[:4] == [15, 30, 60, 120]
    assert max(periods) == auth.LOCKOUT_CAP and periods[-1] == auth.LOCKOUT_CAP
    # A day without failures starts again from the shortest lock.
    clock.advance(hours=24)
    for _ in range(3):
        with pytest.raises(auth.InvalidCredentials):
            _login(runtime, password="wrong password!", client=THERE)
    assert _failures(runtime)[0][3] == clock.now() + timedelta(minutes=15)


def test_unlock_lifts_every_lock_and_is_recorded(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    _add(runtime)
    admin = _add(runtime, username="root", role="admin")
    for client in (HERE, THERE):
        for _ in range(3):
            with pytest.raises(auth.InvalidCredentials):
                _login(runtime, password="wrong password!", client=client)
    assert runtime.run_as(admin.user_id, auth.unlock_user, username="lin", via="web") == 2
    assert _failures(runtime) == []
    assert _login(runtime).username == "lin"
    with runtime.session_factory() as s:
        event = s.scalars(select(AccountEvent)).one()
        assert (event.action, event.actor_id, event.via, event.at) == (
            "unlock",
            admin.user_id,
            "web",
            clock.now(),
        )


def test_set_password_checks_policy_and_unlocks(runtime: Runtime, community: int) -> None:
    """(Formerly an account-wide lock; now the pair's lock is lifted as well.)"""
    _add(runtime)
    for _ in range(3):
        with pytest.raises(auth.InvalidCredentials):
            _login(runtime, password="wrong password!")
    with pytest.raises(auth.WeakPassword):
        runtime.run(auth.set_password, username="lin", password="short")
    runtime.run(auth.set_password, username="lin", password="a new password")
    assert _login(runtime, password="a new password").username == "lin"


def test_tokens_are_stored_hashed_and_shown_once(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    user = _add(runtime)
    issued = runtime.run(auth.issue_token, username="lin", label="laptop")
    assert issued.secret.startswith("fvt_") and len(issued.secret) > 40
    with runtime.session_factory() as s:
        row = s.get_one(ApiToken, issued.token_id)
        assert issued.secret not in row.token_hash and len(row.token_hash) == 64
        assert row.label == "laptop" and row.last_used_at is None
    holder = runtime.query(auth.user_for_token, secret=issued.secret)
    assert holder is not None and holder.principal == user and holder.is_stale
    runtime.run(auth.record_token_use, token_id=holder.token_id)
    with runtime.session_factory() as s:
        assert s.get_one(ApiToken, issued.token_id).last_used_at == clock.now()
    again = runtime.query(auth.user_for_token, secret=issued.secret)
    assert again is not None and not again.is_stale  # recorded within the minute
    assert runtime.query(auth.user_for_token, secret=issued.secret + "x") is None
    assert runtime.query(auth.user_for_token, secret="nonsense") is None


def test_revoked_tokens_and_disabled_users_are_refused(
    runtime: Runtime, clock: FixedClock, community: int
) -> None:
    _add(runtime)
    first = runtime.run(auth.issue_token, username="lin")
    second = runtime.run(auth.issue_token, username="lin")
    runtime.run(auth.revoke_token, token_id=first.token_id)
    runtime.run(auth.revoke_token, token_id=first.token_id)
    assert runtime.query(auth.user_for_token, secret=first.secret) is None
    assert runtime.query(auth.user_for_token, secret=second.secret)
    with runtime.session_factory.begin() as s:
        s.scalars(select(StaffUser)).one().is_active = False
    assert runtime.query(auth.user_for_token, secret=second.secret) is None
    with pytest.raises(auth.UnknownToken):
        runtime.run(auth.revoke_token, token_id=999_999)
    with pytest.raises(auth.UnknownUser):
        runtime.run(auth.issue_token, username="lin")


def test_list_users(runtime: Runtime, community: int) -> None:
    _add(runtime)
    _add(runtime, username="admin", role="admin")
    listed = runtime.query(auth.list_users)
    assert [(u.username, u.role, u.community_codes) for u in listed] == [
        ("admin", "admin", ()),
        ("lin", "committee", ("demo",)),
    ]
