"""The process-wide objects services receive: settings, database, clock, keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from estate.personal import DataCipher, load_cipher
from fundvote.config import Settings
from fundvote.db import make_engine, make_session_factory
from notary.clock import Clock, SystemClock
from notary.keys import KeyRing, load_keyring


@dataclass
class Runtime:
    """Everything a use case needs from the outside world, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    keyring: KeyRing
    cipher: DataCipher  # encrypts owners' phone and ID numbers at rest


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Open the database named by ``settings`` and assemble the runtime."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        keyring=load_keyring(settings.signing_key_file, create=True, name=settings.log_origin),
        cipher=load_cipher(settings.data_key_file, create=True),
    )
