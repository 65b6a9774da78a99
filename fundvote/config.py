"""Configuration read from environment variables, with embedded defaults.

Every setting has a default that works on a developer machine: an SQLite database and key
files under ``instance/`` in the current directory. Production sets at least
``FUNDVOTE_DATABASE_URL`` and ``FUNDVOTE_SECRET_KEY`` (see README, "Configuration").
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fundvote.proxies import Network, parse_trusted_proxies


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one process."""

    instance_path: Path
    database_url: str
    secret_key: str
    signing_key_file: Path
    data_key_file: Path
    log_origin: str
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
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(instance: Path, env: Mapping[str, str]) -> str:
    """Return the session secret: from the environment, else a random one kept in instance/."""
    value = env.get("FUNDVOTE_SECRET_KEY")
    if value:
        return value
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    instance = Path(env.get("FUNDVOTE_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    database_url = env.get("FUNDVOTE_DATABASE_URL") or f"sqlite:///{instance / 'fundvote.db'}"
    return Settings(
        instance_path=instance,
        database_url=database_url,
        secret_key=_secret_key(instance, env),
        signing_key_file=Path(env.get("FUNDVOTE_SIGNING_KEY_FILE") or instance / "signing.key"),
        data_key_file=Path(env.get("FUNDVOTE_DATA_KEY_FILE") or instance / "data.key"),
        log_origin=env.get("FUNDVOTE_LOG_ORIGIN") or "fundvote.local",
        outbox_dir=Path(env.get("FUNDVOTE_OUTBOX_DIR") or instance / "outbox"),
        public_url=(env.get("FUNDVOTE_PUBLIC_URL") or "").rstrip("/"),
        login_max_failures=int(env.get("FUNDVOTE_LOGIN_MAX_FAILURES") or 5),
        login_lockout_minutes=int(env.get("FUNDVOTE_LOGIN_LOCKOUT_MINUTES") or 15),
        session_idle_minutes=max(1, int(env.get("FUNDVOTE_SESSION_IDLE_MINUTES") or 120)),
        session_max_hours=max(1, int(env.get("FUNDVOTE_SESSION_MAX_HOURS") or 24)),
        token_days=max(1, int(env.get("FUNDVOTE_TOKEN_DAYS") or 90)),
        trusted_proxies=parse_trusted_proxies(env.get("FUNDVOTE_TRUSTED_PROXIES") or ""),
        slips_keep_hours=max(1, int(env.get("FUNDVOTE_SLIPS_KEEP_HOURS") or 24)),
        session_cookie_secure=(env.get("FUNDVOTE_SECURE_COOKIES") or "").lower()
        in {"1", "true", "yes"},
    )
