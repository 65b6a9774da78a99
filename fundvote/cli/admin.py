"""Set-up and serving commands: ``init``, ``demo``, ``serve``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from fundvote.cli.common import WholeNumber
from fundvote.cli.speech import _
from fundvote.config import load_settings
from fundvote.runtime import Runtime, build_runtime
from fundvote.schema import upgrade

ACCESS_LOG_FORMAT = '%({fundvote.client}e)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
"""gunicorn's access log line; it starts with the client's address as fundvote.proxies found it
(behind a trusted proxy, the client's, not the proxy's)."""


@contextmanager
def _initialised_runtime() -> Iterator[Runtime]:
    """The runtime from the environment with its schema upgraded, for one command; its
    connections are closed when the command ends, whatever happens."""
    runtime = build_runtime(load_settings())
    try:
        upgrade(runtime.engine)
        yield runtime
    finally:
        runtime.engine.dispose()


@click.command("init")
def init_command() -> None:
    """Create or upgrade the schema; create the signing and data keys if missing."""
    with _initialised_runtime() as runtime:
        s = runtime.settings
        url = runtime.engine.url.render_as_string(hide_password=True)
        click.echo(_("database ready: %(url)s", url=url))
        click.echo(
            _(
                "signing key: %(path)s (key id %(key)s)",
                path=s.signing_key_file,
                key=runtime.keyring.active_key_id,
            )
        )
        click.echo(_("data key: %(path)s", path=s.data_key_file))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when the demo community is absent.")
@click.option(
    "--base-url",
    default=lambda: f"http://127.0.0.1:{os.environ.get('PORT', '8000')}",
    show_default="http://127.0.0.1:$PORT",
    help="Address the printed owner links point at.",
)
def demo_command(if_empty: bool, base_url: str) -> None:
    """Initialise when needed and load the demo community 江滨花园 with staff of every role."""
    from fundvote.demo import DEMO_STAFF, load_demo
    from fundvote.demo.ballots import demo_owner_links

    with _initialised_runtime() as runtime:
        report = load_demo(runtime)
        links = demo_owner_links(runtime, base_url)
    if report.loaded:
        click.echo(
            _(
                "demo community loaded: %(units)s units, %(owners)s owners",
                units=report.units,
                owners=report.owners,
            )
        )
    elif not if_empty:
        click.echo(_("demo community already present; nothing loaded"))
    click.echo(_("staff logins (demo only):"))
    for username, role, _name, password in DEMO_STAFF:
        click.echo(f"  {role:<10} {username:<11} " + _("password: %(password)s", password=password))
    if links:
        click.echo(_("owner links to try (open ballot 外墙修缮; demo only):"))
        for link in links:
            click.echo(f"  {link}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=WholeNumber(1, 65535), envvar="PORT")
@click.option("--workers", default=2, show_default=True, type=WholeNumber(1, 64))
@click.option("--threads", default=4, show_default=True, type=WholeNumber(1, 64))
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web application with gunicorn (the production server)."""
    from gunicorn.app.base import BaseApplication

    with _initialised_runtime():
        pass

    class _App(BaseApplication):
        def load_config(self) -> None:
            assert self.cfg is not None
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            # A 50,000-unit roll import or ballot opening takes tens of seconds (make bench).
            self.cfg.set("timeout", 180)
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", ACCESS_LOG_FORMAT)
            self.cfg.set("logger_class", "fundvote.logs.GunicornLogger")

        def load(self) -> object:
            from fundvote.app import create_app

            return create_app()

    address = f"http://{host}:{port}/"
    click.echo(_("fundvote serving on %(url)s", url=address))
    _App().run()
