"""Fixtures for the audit bundle's service tests: a small community whose log holds a roll
import, a published ballot with its votes and decision, and journal entries; the bundle built
with the application's real renderers (WeasyPrint templates)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask

from audit.bundle import BundleSummary, Period, build_bundle
from fundvote.app import create_app
from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from fundvote.web.bundle_files import TemplateRenderers, offline_renderers
from ledger.api import PostingLine, post_entry
from notary import store
from notary.work import UnitOfWork
from tests.services.voting.ballot_helpers import at, cast, draft
from voting import ballots

CODE = "AU01"
NAMES = ("欧阳明华", "司马晓燕", "诸葛建国")
PHONES = ("13912345678", "13800138000", "18612345670")
ID_NUMBER = "11010519491231002X"
ROLL = (
    "unit,building,area,owners,developer,owner_names,owner_phones,owner_ids\n"
    f"1-101,1,100.00,A1,,{NAMES[0]},{PHONES[0]},{ID_NUMBER}\n"
    f"1-102,1,80.50,B1,,{NAMES[1]},{PHONES[1]},\n"
    f"2-101,2,120.25,C1,,{NAMES[2]},{PHONES[2]},\n"
)


@dataclass(frozen=True)
class Scenario:
    """The community's code and the published ballot's ref."""

    code: str
    ballot_ref: str


def checkpoint(rt: Runtime, code: str = CODE) -> store.SignedCheckpoint:
    """Sign a checkpoint of the log as it is now (what the tick does)."""

    def sign(uow: UnitOfWork) -> store.SignedCheckpoint:
        return uow.checkpoint(code)

    return rt.run(sign)


def deposit(rt: Runtime, unit: str, fen: int, day: date, code: str = CODE) -> None:
    rt.run_as(
        1,
        post_entry,
        community_code=code,
        kind="deposit",
        value_date=day,
        memo="首次交存",
        lines=[PostingLine("1001", fen), PostingLine(f"2101.{unit}", -fen)],
    )


@pytest.fixture
def scenario(runtime: Runtime) -> Scenario:
    rt = runtime
    rt.run(create_community_with_books, code=CODE, name="审计小区")
    rt.run(
        import_roll_with_books,
        community_code=CODE,
        data=ROLL.encode(),
        filename="roll.csv",
        cipher=rt.cipher,
    )
    deposit(rt, "1-101", 1_000_000, date(2026, 10, 1))
    deposit(rt, "1-102", 805_000, date(2026, 10, 2))
    info = draft(rt, code=CODE)
    rt.run(ballots.open_ballot, ballot_ref=info.ref)
    at(rt, info.opens_at)
    cast(rt, info.ref, "1-101", "agree")
    cast(rt, info.ref, "2-101", "agree", channel="paper")
    cast(rt, info.ref, "1-102", "oppose")
    at(rt, info.closes_at)
    rt.run(ballots.close_ballot, ballot_ref=info.ref)
    rt.run(ballots.tally_ballot, ballot_ref=info.ref)
    rt.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=rt.keyring.name)
    at(rt, info.closes_at + timedelta(days=1))
    deposit(rt, "2-101", 1_202_500, date(2026, 11, 20))
    checkpoint(rt)
    return Scenario(CODE, info.ref)


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app({"TESTING": True}, runtime=runtime)


@pytest.fixture
def renderers(app: Flask, runtime: Runtime) -> Iterator[TemplateRenderers]:
    with offline_renderers(app, runtime) as made:
        yield made


Build = Callable[..., tuple[bytes, BundleSummary]]


@pytest.fixture
def build(runtime: Runtime, renderers: TemplateRenderers) -> Build:
    """Build a bundle: ``build(period=Period(...), previous=bytes, code=...)`` -> (zip, summary)."""

    def make(
        *, period: Period | None = None, previous: bytes | None = None, code: str = CODE
    ) -> tuple[bytes, BundleSummary]:
        out = io.BytesIO()
        summary = runtime.query(
            build_bundle,
            out,
            community=code,
            period=period or Period(None, None),
            renderers=renderers,
            previous=previous,
        )
        return out.getvalue(), summary

    return make


@dataclass(frozen=True)
class DemoBundleBuild:
    """The demo's bundle as ``fundvote bundle demo`` builds it, and the HTML of every PDF in
    it (a PDF's text is glyph codes; its HTML is where personal data would show)."""

    data: bytes
    html: tuple[str, ...]


@pytest.fixture(scope="session")
def demo_bundle_build(demo_runtime: Runtime) -> DemoBundleBuild:
    """Built once per run (printing the demo's PDFs takes half a minute) and shared by the
    tests that only read it: the personal-data scan and the tamper suite."""
    from fundvote.bundles import build, period_of
    from tests.services.audit.pii import rendered_html

    out = io.BytesIO()
    app = create_app(runtime=demo_runtime)
    with pytest.MonkeyPatch.context() as patch, rendered_html(patch) as html:
        with offline_renderers(app, demo_runtime) as renderers:
            build(demo_runtime, "demo", out, period_of(None, None), renderers)
        return DemoBundleBuild(out.getvalue(), tuple(html))


def members(data: bytes) -> dict[str, bytes]:
    """Every member of a zip by path."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}
