"""The demo community's audit bundle, built once per test module (loading the demo takes a
while): its bytes, the instance's verifier key and a signer for older checkpoints."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from fundvote.app import create_app
from fundvote.bundles import build, period_of
from fundvote.demo import load_demo
from fundvote.runtime import build_runtime
from fundvote.web.bundle_files import offline_renderers
from notary.clock import FixedClock
from notary.keys import KeyRing
from tests.conftest import _empty_all_tables, _settings


@dataclass(frozen=True)
class DemoBundle:
    """The demo's bundle (zip bytes), the key that signed it and its verifier key line."""

    data: bytes
    ring: KeyRing
    key: str


@pytest.fixture(scope="module")
def demo_bundle(
    migrated_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoBundle]:
    tmp = tmp_path_factory.mktemp("demo-bundle")
    rt = build_runtime(
        _settings(migrated_url, tmp), clock=FixedClock(datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    )
    try:
        assert load_demo(rt).loaded
        out = io.BytesIO()
        app = create_app(runtime=rt)
        with offline_renderers(app, rt) as renderers:
            build(rt, "demo", out, period_of(None, None), renderers)
        ring = rt.keyring.current()
        yield DemoBundle(out.getvalue(), ring, ring.verifier.text)
    finally:
        _empty_all_tables(rt)
        rt.engine.dispose()
