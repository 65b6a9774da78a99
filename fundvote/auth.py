"""Staff authentication use cases: users, passwords, lockout, API tokens, community scope.

Each public function opens its own transaction on the ``session_factory`` it is given and
returns plain values (:class:`Principal`) or detached rows; none of them imports Flask.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from estate.models import Community
from fundvote.accounts import ROLES as ROLES
from fundvote.accounts import ApiToken, StaffCommunity, StaffUser
from notary.errors import DomainError
from notary.work import UnitOfWork

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "fvt_"  # noqa: S105 (a public prefix, not a secret)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
# Writing last_used_at on every API call would turn reads into writes; once a minute is enough.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


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


def authenticate(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    max_failures: int,
    lockout_minutes: int,
) -> Principal:
    """Check a username and password; return the principal or raise :class:`InvalidCredentials`.

    Guarantees: after ``max_failures`` consecutive wrong passwords the account is locked for
    ``lockout_minutes`` and refuses even the right password until then; a success resets the
    count. Unknown, disabled and locked accounts get the same error as a wrong password, and an
    unknown username costs the same hashing work, so the response does not reveal which
    usernames exist.
    """
    refused = InvalidCredentials(
        N_(
            "Wrong username or password, or the account is locked for a while after too "
            "many attempts."
        )
    )
    now = uow.clock.now()
    s = uow.session
    user = s.scalars(
        select(StaffUser).where(StaffUser.username == username.strip().lower()).with_for_update()
    ).one_or_none()
    if user is None:
        _verify(_dummy_hash(), password)
        raise refused
    if user.locked_until is not None and user.locked_until > now:
        _verify(_dummy_hash(), password)
        raise refused
    if user.locked_until is not None:  # the lock has expired: start counting afresh
        user.locked_until = None
        user.failed_logins = 0
    if not _verify(user.password_hash, password) or not user.is_active:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        raise refused  # is_recorded: the count is committed all the same
    user.failed_logins = 0
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _principal(user)


def load_principal(uow: UnitOfWork, user_id: int) -> Principal | None:
    """The principal for an active user id (as stored in a session), or None."""
    s = uow.session
    user = s.get(StaffUser, user_id)
    if user is None or not user.is_active:
        return None
    return _principal(user)


def set_password(uow: UnitOfWork, *, username: str, password: str) -> None:
    """Replace a user's password (policy checked) and clear any lockout."""
    check_password_policy(password)
    password_hash = _hasher.hash(password)
    s = uow.session
    user = s.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    if user is None:
        raise UnknownUser(N_("No user is called %(username)s."), username=username)
    user.password_hash = password_hash
    user.failed_logins = 0
    user.locked_until = None


def find_user(uow: UnitOfWork, username: str) -> Principal | None:
    """The active staff user with this username, or None (reads only)."""
    user = uow.session.scalars(
        select(StaffUser).where(StaffUser.username == username.strip().lower())
    ).one_or_none()
    return None if user is None or not user.is_active else _principal(user)


def list_users(uow: UnitOfWork) -> list[UserSummary]:
    """Every staff user with their role and community codes, by username."""
    s = uow.session
    users = list(s.scalars(select(StaffUser).order_by(StaffUser.username)))
    rows = s.execute(select(Community.id, Community.code))
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


# -- tokens -------------------------------------------------------------------------------


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(uow: UnitOfWork, *, username: str, label: str = "") -> IssuedToken:
    """Create an API token for an active user.

    Guarantees: the secret has 256 bits of randomness, only its SHA-256 hash is stored, and
    the secret is returned here once and can never be read back.
    """
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    s = uow.session
    user = s.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
    if user is None or not user.is_active:
        raise UnknownUser(N_("No active user is called %(username)s."), username=username)
    token = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(secret),
        label=label[:100],
        created_at=uow.clock.now(),
    )
    s.add(token)
    s.flush()
    return IssuedToken(token_id=token.id, secret=secret, label=token.label)


def revoke_token(uow: UnitOfWork, *, token_id: int) -> None:
    """Revoke a token for good; revoking twice is harmless (the first time is kept)."""
    s = uow.session
    token = s.get(ApiToken, token_id)
    if token is None:
        raise UnknownToken(N_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = uow.clock.now()


@dataclass(frozen=True)
class TokenHolder:
    """Whom a bearer token stands for, and whether its last use should be recorded."""

    principal: Principal
    token_id: int
    is_stale: bool  # last use not recorded within the last minute


def user_for_token(uow: UnitOfWork, *, secret: str) -> TokenHolder | None:
    """Whom a bearer token stands for, or None if it is unknown, revoked, or its user is
    disabled. Reads only: a request with a token never takes a write lock just to check it
    (:func:`record_token_use` records the use, at most once a minute)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    s = uow.session
    token = s.scalars(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(secret))
    ).one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    user = s.get(StaffUser, token.user_id)
    if user is None or not user.is_active:
        return None
    last = token.last_used_at
    stale = last is None or uow.clock.now() - last >= _LAST_USED_GRANULARITY
    return TokenHolder(_principal(user), token.id, stale)


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
