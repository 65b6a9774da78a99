"""Fixtures of the command-line tests: ``cli(*args)`` runs ``fundvote`` against the test
database, keys and instance folder of the ``runtime`` fixture (``env=`` overrides settings,
``input=`` is stdin)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from fundvote.cli import main
from fundvote.runtime import Runtime


@pytest.fixture
def cli(runtime: Runtime):  # type: ignore[no-untyped-def]
    s = runtime.settings
    base = {
        "FUNDVOTE_INSTANCE_PATH": str(s.instance_path),
        "FUNDVOTE_DATABASE_URL": s.database_url,
        "FUNDVOTE_SECRET_KEY": s.secret_key,
        "FUNDVOTE_DATA_KEY_FILE": str(s.data_key_file),
        "FUNDVOTE_SIGNING_KEY_FILE": str(s.signing_key_file),
        "FUNDVOTE_LOG_ORIGIN": s.log_origin,
        "FUNDVOTE_LANG": "en",  # what the tests read; a test of Chinese output overrides it
    }

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**base, **(env or {})}, input=input)

    return invoke
