"""Staff authentication use cases: users, passwords, lockout, login sessions, API tokens,
account administration, community scope.

Each public function is a step that takes a :class:`~notary.work.UnitOfWork` and returns
plain values (:class:`Principal`, summaries); none of them imports Flask.

- A login session lives on the server (:class:`~fundvote.accounts.StaffSession`): the cookie
  carries a random id whose hash is the row's key, so logging out, disabling the user or a new
  password ends it for good, and a copied cookie is worthless afterwards. A session ends after
  ``idle`` minutes unused and ``max_hours`` after the login, whichever comes first.
- Failed logins count per (account, client address): a stranger's wrong passwords lock only
  their own address out of that account, for a period that grows with each lock and never
  exceeds :data:`LOCKOUT_CAP`. An administrator can lift every lock of an account.
- API tokens expire (``FUNDVOTE_TOKEN_DAYS``), can be listed and revoked by their owner and an
  administrator, and stop working as soon as their user is disabled.
- What administrators do to accounts is recorded in ``account_event`` (who, when, what).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, aliased

from estate.models import Community
from fundvote.accounts import ROLES as ROLES
from fundvote.accounts import (
    AccountEvent,
    ApiToken,
    LoginFailure,
    StaffCommunity,
    StaffSession,
    StaffUser,
)
from notary.errors import DomainError
from notary.work import UnitOfWork

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "fvt_"  # noqa: S105 (a public prefix, not a secret)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
# Writing last_used_at on every API call would turn reads into writes; once a minute is enough.
_LAST_USED_GRANULARITY = timedelta(minutes=1)
DEFAULT_TOKEN_DAYS = 90
LOCKOUT_CAP = timedelta(hours=24)
"""No lock of an (account, address) pair lasts longer than this; a pair quiet for this long
starts again from the first, shortest lock."""
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters, 96 bits
VIA = ("web", "api", "cli")


def N_(message: str) -> str:
    """Mark ``message`` for translation (extracted by pybabel; translated when shown)."""
    return message


# -- errors -------------------------------------------------------------------------------


class InvalidCredentials(DomainError):
    """Login refused. The same message whether the user is unknown, the password wrong,
    the account disabled or locked, so a caller cannot learn which usernames exist."""

    code = "invalid-credentials"
    is_recorded = True  # the attempt counts toward a lockout


class WeakPassword(DomainError):
    code = "weak-password"


class InvalidUsername(DomainError):
    code = "invalid-username"


class UnknownRole(DomainError):
    code = "unknown-role"


class UsernameTaken(DomainError):
    code = "username-taken"


class UnknownCommunity(DomainError):
    code = "unknown-community"


class CommunityRequired(DomainError):
    code = "community-required"


class UnknownUser(DomainError):
    code = "unknown-user"


class UnknownToken(DomainError):
    code = "unknown-token"


class WrongPassword(DomainError):
    """The current password given to change one's own password is wrong."""

    code = "wrong-password"


class OwnAccount(DomainError):
    """An administrator tried to disable their own account (they would lock themselves out)."""

    code = "own-account"


class OutOfScope(DomainError):
    """The user may not act for this community."""

    code = "out-of-scope"


# -- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a snapshot of an active staff user and their scope.

    It also has the four members flask-login expects of a user object, so the web layer can
    hand it to ``login_user`` without this module importing Flask.
    """

    user_id: int
    username: str
    display_name: str
    role: str
    community_ids: frozenset[int]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_act_for(self, community_id: int) -> bool:
        """Admins act for every community; everyone else for their assigned ones only."""
        return self.is_admin or community_id in self.community_ids

    # flask-login's user protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created API token. ``secret`` exists only here: it is never stored."""

    token_id: int
    secret: str
    label: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenSummary:
    """What may be shown of an API token: never its secret nor its hash."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None
    is_valid: bool  # neither revoked nor expired


@dataclass(frozen=True)
class LockSummary:
    """A locked (account, client address) pair."""

    client: str
    locked_until: datetime


@dataclass(frozen=True)
class EventSummary:
    at: datetime
    action: str
    actor: str | None  # the acting user's username; None for the command line
    via: str
    detail: str


@dataclass(frozen=True)
class UserDetail:
    """One account as its administrator sees it."""

    user: UserSummary
    tokens: tuple[TokenSummary, ...]
    locks: tuple[LockSummary, ...]
    sessions: int  # login sessions open now
    events: tuple[EventSummary, ...]  # newest first


@dataclass(frozen=True)
class LoggedIn:
    """A successful login: who, and the secret the browser keeps (never stored)."""

    principal: Principal
    session_secret: str


@dataclass(frozen=True)
class SessionHolder:
    """Whom a login session stands for, and whether its last use should be recorded."""

    principal: Principal
    session_id: int
    is_stale: bool  # last use not recorded within the last minute


@dataclass(frozen=True)
class CommunityRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class UserSummary:
    username: str
    display_name: str
    role: str
    is_active: bool
    community_codes: tuple[str, ...]


# -- passwords ----------------------------------------------------------------------------

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so timing does not reveal them."""
    return _hasher.hash(secrets.token_urlsafe(16))


def is_username(text: str) -> bool:
    """Whether ``text`` has the form of a (normalised) username."""
    return _USERNAME.fullmatch(text) is not None


def check_password_policy(password: str) -> None:
    """Raise :class:`WeakPassword` unless ``password`` meets the policy (>= 10 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            N_("The password must have at least %(min)s characters."), min=MIN_PASSWORD_LENGTH
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# -- users --------------------------------------------------------------------------------


def _communities_by_code(s: Session, codes: Iterable[str]) -> list[Community]:
    wanted = sorted(set(codes))
    if not wanted:
        return []
    rows = list(s.scalars(select(Community).where(Community.code.in_(wanted))))
    missing = sorted(set(wanted) - {c.code for c in rows})
    if missing:
        raise UnknownCommunity(N_("No community has the code %(code)s."), code=missing[0])
    return rows


def add_user(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    role: str,
    communities: Iterable[str],
    display_name: str | None = None,
) -> Principal:
    """Create an active staff user and return them as a principal.

    Guarantees: the username is lower-case and unique, the role is one of :data:`ROLES`, the
    password meets the policy and is stored only as an argon2id hash, every non-admin user is
    scoped to at least one existing community (admins to none: they see all). Nothing is
    written if any check fails.
    """
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidUsername(
            N_("A username has 2 to 63 characters: lower-case letters, digits, '.', '_' or '-'.")
        )
    if role not in ROLES:
        raise UnknownRole(N_("Unknown role %(role)s."), role=role)
    check_password_policy(password)
    codes = list(communities)
    if role == "admin":
        codes = []
    elif not codes:
        raise CommunityRequired(N_("A user with this role needs at least one community."))
    password_hash = _hasher.hash(password)
    s = uow.session
    rows = _communities_by_code(s, codes)
    user = StaffUser(
        username=username,
        display_name=(display_name or username).strip()[:100] or username,
        role=role,
        password_hash=password_hash,
        is_active=True,
        failed_logins=0,
        created_at=uow.clock.now(),
    )
    user.communities = [StaffCommunity(community_id=c.id) for c in rows]
    taken = {
        "uq_staff_user_username": lambda: UsernameTaken(
            N_("The username %(username)s is taken."), username=username
        )
    }
    with uow.constraint_errors(taken):
        s.add(user)
    return _principal(user)


def _principal(user: StaffUser) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        community_ids=frozenset(link.community_id for link in user.communities),
    )


_REFUSED = N_(
    "Wrong username or password, or the account is locked for a while after too many attempts."
)


def _lock_period(lockout_minutes: int, locks: int) -> timedelta:
    """The n-th lock in a row lasts ``lockout_minutes`` doubled n-1 times, at most the cap."""
    growth = 2 ** min(max(locks - 1, 0), 16)
    return min(timedelta(minutes=lockout_minutes) * growth, LOCKOUT_CAP)


def authenticate(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    client: str,
    max_failures: int,
    lockout_minutes: int,
) -> Principal:
    """Check a username and password from ``client`` (the client's address); return the
    principal or raise :class:`InvalidCredentials`.

    Guarantees: after ``max_failures`` consecutive wrong passwords from one client address,
    that address (and only that one) is refused for this account, even with the right
    password, for ``lockout_minutes``; each further lock of the same pair lasts twice as long,
    never more than :data:`LOCKOUT_CAP`, and a pair quiet for that long (counted from its last
    failure or the end of its lock) starts afresh. A right password from another address
    still works; a success clears its own address's count.
    Unknown, disabled and locked accounts get the same error as a wrong password, and cost the
    same hashing work, so the response does not reveal which usernames exist.
    """
    refused = InvalidCredentials(_REFUSED)
    now = uow.clock.now()
    s = uow.session
    client = client[:64]
    user = s.scalars(
        select(StaffUser).where(StaffUser.username == username.strip().lower()).with_for_update()
    ).one_or_none()
    if user is None:
        _verify(_dummy_hash(), password)
        raise refused
    failure = s.scalars(
        select(LoginFailure).where(LoginFailure.user_id == user.id, LoginFailure.client == client)
    ).one_or_none()
    if failure is not None and failure.locked_until is not None and failure.locked_until > now:
        _verify(_dummy_hash(), password)
        raise refused
    if _verify(user.password_hash, password) and user.is_active:
        if failure is not None:
            s.delete(failure)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return _principal(user)
    if failure is None:
        failure = LoginFailure(
            user_id=user.id, client=client, failures=0, locks=0, last_failure_at=now
        )
        s.add(failure)
    elif (
        now - max(failure.last_failure_at, failure.locked_until or failure.last_failure_at)
        >= LOCKOUT_CAP
    ):
        failure.failures = 0
        failure.locks = 0
    failure.failures += 1
    failure.last_failure_at = now
    if failure.failures >= max_failures:
        failure.locks += 1
        failure.failures = 0
        failure.locked_until = now + _lock_period(lockout_minutes, failure.locks)
    raise refused  # is_recorded: the count is committed all the same


def load_principal(uow: UnitOfWork, user_id: int) -> Principal | None:
    """The principal for an active user id, or None."""
    s = uow.session
    user = s.get(StaffUser, user_id)
    if user is None or not user.is_active:
        return None
    return _principal(user)


def _user(uow: UnitOfWork, username: str) -> StaffUser:
    username = username.strip().lower()
    user = uow.session.scalars(
        select(StaffUser).where(StaffUser.username == username).with_for_update()
    ).one_or_none()
    if user is None:
        raise UnknownUser(N_("No user is called %(username)s."), username=username)
    return user


def _record(uow: UnitOfWork, user: StaffUser, action: str, via: str, detail: str = "") -> None:
    if via not in VIA:
        raise ValueError(f"unknown channel {via!r}")
    uow.session.add(
        AccountEvent(
            at=uow.clock.now(),
            user_id=user.id,
            action=action,
            actor_id=uow.actor,
            via=via,
            detail=detail[:200],
        )
    )


def _end_sessions(uow: UnitOfWork, user_id: int) -> None:
    uow.session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


def set_password(uow: UnitOfWork, *, username: str, password: str) -> None:
    """Replace a user's password (policy checked), end every login session of theirs and
    lift every lock on the account."""
    check_password_policy(password)
    password_hash = _hasher.hash(password)
    user = _user(uow, username)
    user.password_hash = password_hash
    _end_sessions(uow, user.id)
    uow.session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))


def generate_password() -> str:
    """A strong random password (96 bits) that meets the policy, for a reset."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def reset_password(uow: UnitOfWork, *, username: str, password: str | None = None, via: str) -> str:
    """Give a user a new password: ``password`` if given (policy checked), else a generated
    one. Returns the new password (to show once; it is stored only as a hash).

    Guarantees: as :func:`set_password` (sessions ended, locks lifted), and the reset is
    recorded with the acting user (``uow.actor``; None from the command line) and channel.
    """
    new = password if password is not None else generate_password()
    set_password(uow, username=username, password=new)
    _record(uow, _user(uow, username), "reset_password", via)
    return new


def change_password(
    uow: UnitOfWork,
    *,
    user_id: int,
    current: str,
    new: str,
    idle_minutes: int,
    max_hours: int,
) -> str:
    """A user changes their own password, proving the current one.

    Guarantees: nothing changes unless ``current`` is right (:class:`WrongPassword`) and
    ``new`` meets the policy; then every login session of the user ends (also on other
    devices), a new one is opened for the caller and its secret returned, and the change is
    recorded.
    """
    user = uow.session.get(StaffUser, user_id, with_for_update=True)
    if user is None or not user.is_active:
        raise UnknownUser(N_("No active user is called %(username)s."), username=str(user_id))
    if not _verify(user.password_hash, current):
        raise WrongPassword(N_("The current password is wrong."))
    set_password(uow, username=user.username, password=new)
    _record(uow, user, "change_password", "web")
    return start_session(uow, user_id=user.id, idle_minutes=idle_minutes, max_hours=max_hours)


def set_user_active(uow: UnitOfWork, *, username: str, is_active: bool, via: str) -> None:
    """Disable or re-enable a user; disabling again (or enabling again) changes nothing.

    Guarantees: a disabled user cannot log in, and their login sessions and API tokens stop
    working at once (sessions are deleted; tokens are refused while the user is disabled and
    work again after a re-enable unless revoked or expired). An administrator cannot disable
    their own account. Each change is recorded with the actor and channel.
    """
    user = _user(uow, username)
    if not is_active and uow.actor == user.id:
        raise OwnAccount(N_("You cannot disable your own account."))
    if user.is_active == is_active:
        return
    user.is_active = is_active
    if not is_active:
        _end_sessions(uow, user.id)
    _record(uow, user, "enable" if is_active else "disable", via)


def unlock_user(uow: UnitOfWork, *, username: str, via: str) -> int:
    """Lift every login lock and failure count of a user (from every address); returns how
    many addresses were locked. Recorded with the actor and channel."""
    user = _user(uow, username)
    now = uow.clock.now()
    locked = uow.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.user_id == user.id, LoginFailure.locked_until > now)
    )
    uow.session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
    _record(uow, user, "unlock", via)
    return int(locked or 0)


def find_user(uow: UnitOfWork, username: str) -> Principal | None:
    """The active staff user with this username, or None (reads only)."""
    user = uow.session.scalars(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    ).one_or_none()
    return None if user is None or not user.is_active else _principal(user)


def staff_names(uow: UnitOfWork, user_ids: Iterable[int]) -> dict[int, str]:
    """The display name of each staff user in ``user_ids`` (their username when the display
    name is blank), for pages that show who did something; unknown ids are left out. Reads
    only, one query."""
    wanted = sorted({i for i in user_ids if isinstance(i, int)})
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.username).where(
            StaffUser.id.in_(wanted)
        )
    )
    return {row.id: (row.display_name.strip() or row.username) for row in rows}


def _summaries(uow: UnitOfWork, users: list[StaffUser]) -> list[UserSummary]:
    rows = uow.session.execute(select(Community.id, Community.code))
    names: dict[int, str] = {row.id: row.code for row in rows}
    return [
        UserSummary(
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            is_active=u.is_active,
            community_codes=tuple(sorted(names[c.community_id] for c in u.communities)),
        )
        for u in users
    ]


def list_users(uow: UnitOfWork) -> list[UserSummary]:
    """Every staff user with their role and community codes, by username."""
    users = list(uow.session.scalars(select(StaffUser).order_by(StaffUser.username)))
    return _summaries(uow, users)


def user_detail(uow: UnitOfWork, username: str) -> UserDetail:
    """One account for its administrator: the user, their tokens (newest first, never a
    secret), the client addresses locked out now, how many sessions are open, and the last
    50 things done to the account (newest first). Reads only."""
    s = uow.session
    username = username.strip().lower()
    user = s.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    if user is None:
        raise UnknownUser(N_("No user is called %(username)s."), username=username)
    now = uow.clock.now()
    locks = s.scalars(
        select(LoginFailure)
        .where(LoginFailure.user_id == user.id, LoginFailure.locked_until > now)
        .order_by(LoginFailure.client)
    )
    sessions = s.scalar(
        select(func.count())
        .select_from(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.expires_at > now)
    )
    actor = aliased(StaffUser)
    events = s.execute(
        select(AccountEvent, actor.username)
        .outerjoin(actor, actor.id == AccountEvent.actor_id)
        .where(AccountEvent.user_id == user.id)
        .order_by(AccountEvent.id.desc())
        .limit(50)
    )
    return UserDetail(
        user=_summaries(uow, [user])[0],
        tokens=tuple(_token_summaries(uow, user.id)),
        locks=tuple(LockSummary(f.client, f.locked_until) for f in locks if f.locked_until),
        sessions=int(sessions or 0),
        events=tuple(EventSummary(e.at, e.action, name, e.via, e.detail) for e, name in events),
    )


# -- login sessions -----------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start_session(uow: UnitOfWork, *, user_id: int, idle_minutes: int, max_hours: int) -> str:
    """Open a login session for a user and return its secret (for the cookie; only its
    SHA-256 hash is stored). Sessions of the user that have ended by time are deleted."""
    now = uow.clock.now()
    s = uow.session
    s.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user_id,
            (StaffSession.expires_at <= now)
            | (StaffSession.last_seen_at <= now - timedelta(minutes=idle_minutes)),
        )
    )
    secret = secrets.token_urlsafe(32)
    s.add(
        StaffSession(
            id_hash=_secret_hash(secret),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=max_hours),
        )
    )
    return secret


def log_in(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    client: str,
    max_failures: int,
    lockout_minutes: int,
    idle_minutes: int,
    max_hours: int,
) -> LoggedIn:
    """:func:`authenticate`, then :func:`start_session`, in one unit of work."""
    principal = authenticate(
        uow,
        username=username,
        password=password,
        client=client,
        max_failures=max_failures,
        lockout_minutes=lockout_minutes,
    )
    secret = start_session(
        uow, user_id=principal.user_id, idle_minutes=idle_minutes, max_hours=max_hours
    )
    return LoggedIn(principal, secret)


def _principal_rows(rows: list[Any]) -> tuple[Principal, Any] | None:
    """The principal of rows selected with :func:`_principal_columns` (one row per community
    of the user, or one row with no community), and the first row."""
    if not rows:
        return None
    first = rows[0]
    principal = Principal(
        user_id=first.user_id,
        username=first.username,
        display_name=first.display_name,
        role=first.role,
        community_ids=frozenset(r.community_id for r in rows if r.community_id is not None),
    )
    return principal, first


def _principal_columns() -> tuple[Any, ...]:
    return (
        StaffUser.id.label("user_id"),
        StaffUser.username,
        StaffUser.display_name,
        StaffUser.role,
        StaffCommunity.community_id,
    )


def session_holder(uow: UnitOfWork, *, secret: str, idle_minutes: int) -> SessionHolder | None:
    """Whom a login session's secret stands for, or None if the session has ended (logged
    out, idle for ``idle_minutes``, past its lifetime, or its user disabled).

    One read statement, no write: :func:`touch_session` records the use, at most once a
    minute."""
    if not secret or len(secret) > 200:
        return None
    now = uow.clock.now()
    rows = list(
        uow.session.execute(
            select(
                StaffSession.id.label("session_id"),
                StaffSession.last_seen_at,
                *_principal_columns(),
            )
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .outerjoin(StaffCommunity, StaffCommunity.user_id == StaffUser.id)
            .where(
                StaffSession.id_hash == _secret_hash(secret),
                StaffSession.expires_at > now,
                StaffSession.last_seen_at > now - timedelta(minutes=idle_minutes),
                StaffUser.is_active.is_(True),
            )
        )
    )
    found = _principal_rows(rows)
    if found is None:
        return None
    principal, first = found
    stale = now - first.last_seen_at >= _LAST_USED_GRANULARITY
    return SessionHolder(principal, first.session_id, stale)


def touch_session(uow: UnitOfWork, *, session_id: int) -> None:
    """Record that the session was used now (to the minute; a concurrent touch is harmless)."""
    now = uow.clock.now()
    uow.session.execute(
        update(StaffSession)
        .where(StaffSession.id == session_id)
        .where(StaffSession.last_seen_at <= now - _LAST_USED_GRANULARITY)
        .values(last_seen_at=now)
    )


def end_session(uow: UnitOfWork, *, secret: str) -> None:
    """End the login session with this secret (logout); an unknown secret is ignored."""
    uow.session.execute(delete(StaffSession).where(StaffSession.id_hash == _secret_hash(secret)))


# -- tokens -------------------------------------------------------------------------------


def _token_hash(secret: str) -> str:
    return _secret_hash(secret)


def issue_token(
    uow: UnitOfWork, *, username: str, label: str = "", days: int = DEFAULT_TOKEN_DAYS
) -> IssuedToken:
    """Create an API token for an active user, valid for ``days`` days.

    Guarantees: the secret has 256 bits of randomness, only its SHA-256 hash is stored, and
    the secret is returned here once and can never be read back.
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    s = uow.session
    user = s.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    if user is None or not user.is_active:
        raise UnknownUser(N_("No active user is called %(username)s."), username=username)
    now = uow.clock.now()
    token = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(secret),
        label=label[:100],
        created_at=now,
        expires_at=now + timedelta(days=max(1, days)),
    )
    s.add(token)
    s.flush()
    return IssuedToken(
        token_id=token.id, secret=secret, label=token.label, expires_at=token.expires_at
    )


def _token_summaries(uow: UnitOfWork, user_id: int) -> list[TokenSummary]:
    now = uow.clock.now()
    tokens = uow.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    )
    return [
        TokenSummary(
            id=t.id,
            label=t.label,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
            is_valid=t.revoked_at is None and t.expires_at > now,
        )
        for t in tokens
    ]


def list_tokens(uow: UnitOfWork, *, username: str) -> list[TokenSummary]:
    """A user's API tokens, newest first: id, label, created, last used, expiry and whether
    revoked; never the secret or its hash. Reads only."""
    username = username.strip().lower()
    user = uow.session.scalars(
        select(StaffUser).where(StaffUser.username == username)
    ).one_or_none()
    if user is None:
        raise UnknownUser(N_("No user is called %(username)s."), username=username)
    return _token_summaries(uow, user.id)


def revoke_token(
    uow: UnitOfWork, *, token_id: int, username: str | None = None, via: str = "cli"
) -> None:
    """Revoke a token for good; revoking twice is harmless (the first time is kept).

    With ``username``, the token must be one of that user's (else :class:`UnknownToken`, as
    for a token that does not exist: a user cannot probe other users' token ids). The first
    revocation is recorded with the actor and channel.
    """
    s = uow.session
    token = s.get(ApiToken, token_id) if 0 < token_id < 2**63 else None
    if token is not None and username is not None:
        owner = s.get(StaffUser, token.user_id)
        if owner is None or owner.username != username.strip().lower():
            token = None
    if token is None:
        raise UnknownToken(N_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = uow.clock.now()
        owner = s.get_one(StaffUser, token.user_id)
        _record(uow, owner, "revoke_token", via, f"token {token.id}")


@dataclass(frozen=True)
class TokenHolder:
    """Whom a bearer token stands for, and whether its last use should be recorded."""

    principal: Principal
    token_id: int
    is_stale: bool  # last use not recorded within the last minute


def user_for_token(uow: UnitOfWork, *, secret: str) -> TokenHolder | None:
    """Whom a bearer token stands for, or None if it is unknown, revoked, expired, or its
    user is disabled.

    One read statement (token, user and the user's communities joined; every check in its
    WHERE clause), no write: a request with a token never takes a write lock just to check
    it (:func:`record_token_use` records the use, at most once a minute)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = uow.clock.now()
    rows = list(
        uow.session.execute(
            select(ApiToken.id.label("token_id"), ApiToken.last_used_at, *_principal_columns())
            .join(StaffUser, StaffUser.id == ApiToken.user_id)
            .outerjoin(StaffCommunity, StaffCommunity.user_id == StaffUser.id)
            .where(
                ApiToken.token_hash == _token_hash(secret),
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                StaffUser.is_active.is_(True),
            )
        )
    )
    found = _principal_rows(rows)
    if found is None:
        return None
    principal, first = found
    last = first.last_used_at
    stale = last is None or now - last >= _LAST_USED_GRANULARITY
    return TokenHolder(principal, first.token_id, stale)


def record_token_use(uow: UnitOfWork, *, token_id: int) -> None:
    """Record that the token was used now (to the minute; a concurrent record is harmless)."""
    now = uow.clock.now()
    uow.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(
            (ApiToken.last_used_at.is_(None))
            | (ApiToken.last_used_at <= now - _LAST_USED_GRANULARITY)
        )
        .values(last_used_at=now)
    )


# -- community scope ----------------------------------------------------------------------


def communities_for(uow: UnitOfWork, principal: Principal) -> list[CommunityRef]:
    """The communities a principal may act for (all of them for an admin), by code."""
    s = uow.session
    query = select(Community).order_by(Community.code)
    if not principal.is_admin:
        query = query.where(Community.id.in_(sorted(principal.community_ids)))
    return [CommunityRef(c.id, c.code, c.name) for c in s.scalars(query)]


def public_communities(uow: UnitOfWork) -> list[CommunityRef]:
    """Every community's code and name (public information), by code."""
    s = uow.session
    query = select(Community).order_by(Community.code)
    return [CommunityRef(c.id, c.code, c.name) for c in s.scalars(query)]
