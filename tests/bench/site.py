"""What the benchmarks of one run share: a fundvote instance served by ``fundvote serve`` on a
fresh PostgreSQL database, and the bare baseline app on another fresh database. Each is set up
on first use only, and everything started is stopped, and every database dropped, when the
run's ExitStack unwinds (normally, on an error, or on Ctrl-C).
"""

from __future__ import annotations

import os
import secrets
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tests.bench import bare_app, pg, servers
from tests.bench.client import Api, Cli


@dataclass
class Fundvote:
    """A fundvote instance: its database, the CLI with its environment, the running server
    and the JSON API as an administrator."""

    database_url: str
    cli: Cli
    server: servers.Server
    api: Api


@dataclass
class Bare:
    """The bare baseline: its database (and an engine on it) and its running server."""

    database_url: str
    engine: sa.Engine
    server: servers.Server


class Site:
    """Lazily built, shared fixtures of one benchmark run."""

    def __init__(self, stack: ExitStack, tmp: Path, quick: bool) -> None:
        self.stack = stack
        self.tmp = tmp
        self.quick = quick
        self._fundvote: Fundvote | None = None
        self._bare: Bare | None = None
        self.shared: dict[str, object] = {}

    def fundvote(self) -> Fundvote:
        """The fundvote instance, created, initialised and served on first call."""
        if self._fundvote is None:
            url = pg.create_database("app")
            self.stack.callback(pg.drop_database, url)
            instance = self.tmp / "instance"
            env = {
                **os.environ,
                "FUNDVOTE_DATABASE_URL": url,
                "FUNDVOTE_INSTANCE_PATH": str(instance),
                "FUNDVOTE_SECRET_KEY": secrets.token_urlsafe(32),
                "FUNDVOTE_LANG": "en",  # the harness reads some of the CLI's output
            }
            cli = Cli(env)
            cli.run("init")
            token = cli.staff_token("bench-admin", "admin")
            server = servers.fundvote_serve(env, self.tmp / "fundvote-serve.log")
            self.stack.callback(server.stop)
            self._fundvote = Fundvote(url, cli, server, Api(server.base, token))
        return self._fundvote

    def bare(self) -> Bare:
        """The bare baseline app and its database, created and served on first call."""
        if self._bare is None:
            url = pg.create_database("bare")
            self.stack.callback(pg.drop_database, url)
            bare_app.create_schema(url)
            engine = sa.create_engine(url)
            self.stack.callback(engine.dispose)
            server = servers.bare_serve(url, self.tmp / "bare-serve.log")
            self.stack.callback(server.stop)
            self._bare = Bare(url, engine, server)
        return self._bare
