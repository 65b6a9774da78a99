"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from fundvote.config import Settings, load_settings
from fundvote.runtime import Runtime, build_runtime
from notary.clock import Clock


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the web application on the given runtime (or one built from the environment)."""
    import fundvote_templates

    if runtime is None:
        runtime = build_runtime(settings or load_settings(), clock=clock)
    app = Flask(
        "fundvote",
        template_folder=str(fundvote_templates.TEMPLATE_DIR),
        static_folder=str(fundvote_templates.STATIC_DIR),
        instance_path=str(runtime.settings.instance_path),
    )
    app.config.update(SECRET_KEY=runtime.settings.secret_key)
    if test_config:
        app.config.update(test_config)
    app.extensions["fundvote"] = runtime
    return app


def runtime_of(app: Flask) -> Runtime:
    """The runtime the application was built on."""
    rt: Runtime = app.extensions["fundvote"]
    return rt
