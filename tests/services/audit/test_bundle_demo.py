"""The demo community's bundle holds no owner's name or phone number in any file: every member
is scanned (the PDFs as the HTML they were rendered from) for every name and phone number the
register holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from estate.models import Owner
from estate.services import phone_purpose
from fundvote.runtime import Runtime
from tests.services.audit.conftest import DemoBundleBuild, members


def _register(rt: Runtime) -> tuple[set[str], set[str]]:
    with rt.session_factory() as s:
        owners = s.execute(select(Owner.ref, Owner.name, Owner.phone_enc)).all()
    names = {o.name for o in owners if o.name}
    phones = {
        rt.cipher.decrypt(o.phone_enc, purpose=phone_purpose(o.ref))
        for o in owners
        if o.phone_enc is not None
    }
    return names, phones


@pytest.fixture
def runtime(demo_runtime: Runtime) -> Runtime:
    """The demo, loaded once per run (building a bundle only reads it)."""
    return demo_runtime


def test_the_demo_bundle_holds_no_personal_data(
    runtime: Runtime, demo_bundle_build: DemoBundleBuild
) -> None:
    names, phones = _register(runtime)
    assert len(names) > 500 and len(phones) > 500
    files, html = members(demo_bundle_build.data), demo_bundle_build.html
    assert any(p.endswith("notice.pdf") for p in files) and len(html) >= 3
    texts = [(p, body.decode()) for p, body in files.items() if not p.endswith(".pdf")]
    texts += [(f"html {n}", page) for n, page in enumerate(html)]
    found = [
        (needle, path) for path, text in texts for needle in (*names, *phones) if needle in text
    ]
    assert found == []
