"""Configuration read from environment variables, with embedded defaults.

Every setting has a default that works on a developer machine: an SQLite database and key
files under ``instance/`` in the current directory. The instance folder and those files are
kept readable by their owner only (:func:`secure_instance`). Production sets at least
``FUNDVOTE_DATABASE_URL`` and ``FUNDVOTE_SECRET_KEY`` (see README, "Configuration").
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from fundvote.proxies import BadProxySetting, Network, parse_trusted_proxies
from notary.errors import N_
from notary.keys import DEFAULT_KEY_NAME


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one process."""

    instance_path: Path
    database_url: str
    secret_key: str
    signing_key_file: Path
    data_key_file: Path
    log_origin: str  # FUNDVOTE_LOG_ORIGIN, validated; "" when unset
    outbox_dir: Path
    public_url: str = ""
    login_max_failures: int = 5
    login_lockout_minutes: int = 15  # the first lock of an (account, address); later ones grow
    session_idle_minutes: int = 120  # a login session unused this long ends
    session_max_hours: int = 24  # and none lasts longer than this
    token_days: int = 90  # API tokens expire after this many days
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For is believed
    session_cookie_secure: bool = False
    slips_keep_hours: int = 24  # printed slips being prepared are deleted after this
    sms_signature: str = ""  # the registered SMS sender's name, sent as 【name】; "" for none
    is_verify_server_check: bool = True  # /verify shows the server's own check of a receipt
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def key_name(self) -> str:
        """The signing key's C2SP name: ``FUNDVOTE_LOG_ORIGIN`` when set (as it always was,
        so key IDs stay the same), else ``fundvote.local``."""
        return self.log_origin or DEFAULT_KEY_NAME


INSTANCE_MODE = 0o700
FILE_MODE = 0o600


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    """While inside: every file and folder this process creates is its owner's only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)


def sqlite_path(database_url: str) -> Path | None:
    """The database file of an SQLite URL (``None`` for another database or in memory)."""
    if not database_url.startswith("sqlite"):
        return None
    name = make_url(database_url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def secure_instance(settings: Settings) -> None:
    """Make the instance folder and the files that hold secrets or personal data readable by
    their owner only: the folder (and folders in it) 0700; the SQLite database, its WAL, SHM
    and journal files, the key files and every other file directly in the folder 0600.

    Creates the folder, and an SQLite database file that does not exist yet, under a
    restrictive umask, so that they are never readable by others even for a moment (SQLite
    gives its WAL and SHM files the database file's mode). Existing files are ``chmod``-ed;
    a file owned by someone else is left as it is.
    """
    instance = settings.instance_path
    with _private_umask():
        instance.mkdir(parents=True, exist_ok=True)
        database = sqlite_path(settings.database_url)
        if database is not None and database.parent.is_dir() and not database.exists():
            with contextlib.suppress(FileExistsError, IsADirectoryError, PermissionError):
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _chmod(instance, INSTANCE_MODE)
    for entry in instance.iterdir():
        if entry.is_symlink():
            continue
        _chmod(entry, INSTANCE_MODE if entry.is_dir() else FILE_MODE)
    private = [settings.signing_key_file, settings.data_key_file]
    if database is not None and not database.is_dir():
        private += [database.with_name(database.name + tail) for tail in _SQLITE_FILES]
    for path in private:
        if path.is_file():
            _chmod(path, FILE_MODE)


_SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def _secret_key(instance: Path, env: Mapping[str, str]) -> str:
    """Return the session secret: from the environment, else a random one kept in instance/."""
    value = env.get("FUNDVOTE_SECRET_KEY")
    if value:
        return value
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    with _private_umask():
        instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


class BadSetting(ValueError):
    """A setting in the environment is not what it must be.

    ``message`` is an English msgid naming the setting, with named placeholders filled from
    ``params`` (the command line prints it translated); ``str(error)`` is the English
    sentence."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


_DIGITS = frozenset("0123456789")


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """The whole number in ``env[name]`` (ASCII digits, ``low..high``), else ``default`` when
    unset or empty; :class:`BadSetting` naming the setting otherwise."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if len(text) > 12 or not set(text) <= _DIGITS or not low <= int(text) <= high:
        raise BadSetting(
            N_("%(name)s must be a whole number from %(low)s to %(high)s"),
            name=name,
            low=low,
            high=high,
        )
    return int(text)


_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """The on/off value of ``env[name]`` (``1/true/yes/on`` or ``0/false/no/off``, any case),
    else ``default`` when unset or empty; :class:`BadSetting` naming the setting otherwise."""
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise BadSetting(N_("%(name)s must be 1 or 0 (on or off)"), name=name)


def _proxies(text: str) -> tuple[Network, ...]:
    try:
        return parse_trusted_proxies(text)
    except BadProxySetting as error:
        raise BadSetting(error.message, entry=error.entry) from None


SMS_SIGNATURE_CHARS = (2, 16)
"""Length bounds of an SMS signature (carriers register names of 2 to 16 characters)."""


def _sms_signature(env: Mapping[str, str]) -> str:
    """``FUNDVOTE_SMS_SIGNATURE``: the name inside 【】, registered for the SMS sender.

    Empty or unset: no signature (the gateway adds its own). Otherwise 2 to 16 letters,
    digits or CJK characters (spaces inside allowed), no brackets and no control or
    format characters; :class:`BadSetting` naming the setting otherwise."""
    text = (env.get("FUNDVOTE_SMS_SIGNATURE") or "").strip()
    if not text:
        return ""
    low, high = SMS_SIGNATURE_CHARS
    allowed = all(c.isalnum() or c in " -_." for c in text)
    if not low <= len(text) <= high or not allowed or not text.isprintable():
        raise BadSetting(
            N_(
                "FUNDVOTE_SMS_SIGNATURE must be %(low)s to %(high)s letters, digits or CJK "
                "characters, without brackets (it is sent as 【name】)"
            ),
            low=low,
            high=high,
        )
    return text


LOG_ORIGIN_MAX_CHARS = 200
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")  # "https:", not "host:8080"


def _log_origin(env: Mapping[str, str]) -> str:
    """``FUNDVOTE_LOG_ORIGIN``: the public URL prefix of the logs without a scheme, e.g.
    ``fundvote.example.org/log`` (tlog-tiles: the origin is the schema-less prefix, no
    trailing slash); each community's log origin is ``<prefix>/<community>``.

    Empty or unset: "" (origins then use the signing key's name). Otherwise at most
    :data:`LOG_ORIGIN_MAX_CHARS` printable characters, no space, no ``+``, no scheme
    (``https://``); trailing slashes are dropped. :class:`BadSetting` naming it otherwise."""
    text = (env.get("FUNDVOTE_LOG_ORIGIN") or "").strip().rstrip("/")
    if not text:
        return ""
    if (
        len(text) > LOG_ORIGIN_MAX_CHARS
        or not text.isprintable()
        or any(c.isspace() or c == "+" for c in text)
        or _SCHEME.match(text)
        or text.startswith("/")
    ):
        raise BadSetting(
            N_(
                "FUNDVOTE_LOG_ORIGIN must be the log's public URL prefix without a scheme, "
                "e.g. fundvote.example.org/log (no spaces, no '+', no https://)"
            )
        )
    return text


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: the process environment); :class:`BadSetting`
    names a setting whose value cannot be used."""
    env = os.environ if env is None else env
    instance = Path(env.get("FUNDVOTE_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    database_url = env.get("FUNDVOTE_DATABASE_URL") or f"sqlite:///{instance / 'fundvote.db'}"
    settings = Settings(
        instance_path=instance,
        database_url=database_url,
        secret_key=_secret_key(instance, env),
        signing_key_file=Path(env.get("FUNDVOTE_SIGNING_KEY_FILE") or instance / "signing.key"),
        data_key_file=Path(env.get("FUNDVOTE_DATA_KEY_FILE") or instance / "data.key"),
        log_origin=_log_origin(env),
        outbox_dir=Path(env.get("FUNDVOTE_OUTBOX_DIR") or instance / "outbox"),
        public_url=(env.get("FUNDVOTE_PUBLIC_URL") or "").rstrip("/"),
        login_max_failures=_whole(env, "FUNDVOTE_LOGIN_MAX_FAILURES", 5, 1, 1000),
        login_lockout_minutes=_whole(env, "FUNDVOTE_LOGIN_LOCKOUT_MINUTES", 15, 1, 10_080),
        session_idle_minutes=_whole(env, "FUNDVOTE_SESSION_IDLE_MINUTES", 120, 1, 525_600),
        session_max_hours=_whole(env, "FUNDVOTE_SESSION_MAX_HOURS", 24, 1, 8_760),
        token_days=_whole(env, "FUNDVOTE_TOKEN_DAYS", 90, 1, 3_650),
        trusted_proxies=_proxies(env.get("FUNDVOTE_TRUSTED_PROXIES") or ""),
        slips_keep_hours=_whole(env, "FUNDVOTE_SLIPS_KEEP_HOURS", 24, 1, 8_760),
        sms_signature=_sms_signature(env),
        is_verify_server_check=_switch(env, "FUNDVOTE_VERIFY_SERVER_CHECK", True),
        session_cookie_secure=(env.get("FUNDVOTE_SECURE_COOKIES") or "").lower()
        in {"1", "true", "yes"},
    )
    secure_instance(settings)
    return settings
