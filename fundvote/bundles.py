"""Audit bundles as the command line, the JSON API and the auditor's pages ask for them: who
may download one, the period read from their input, and the build itself, in one read-only
unit of work (``Runtime.query``): building a bundle writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import IO

from audit.api import (
    BundleEnd,
    BundlePeriodInvalid,
    BundleSummary,
    Period,
    Renderers,
    build_bundle,
    bundle_end,
    check_period,
)
from fundvote.runtime import Runtime
from notary.api import N_

BUNDLE_ROLES = ("committee", "authority", "auditor", "admin")
"""Who may download a community's audit bundle and its verifier keys."""


def parse_day(value: str | None, field: str) -> date | None:
    """A period's day written ``YYYY-MM-DD`` (Asia/Shanghai), or None when empty;
    ``BundlePeriodInvalid`` naming ``field`` (``from`` or ``to``) otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        if field == "from":
            raise BundlePeriodInvalid(
                N_("The first day of the period must be a date such as 2025-01-01.")
            ) from None
        raise BundlePeriodInvalid(
            N_("The last day of the period must be a date such as 2025-12-31.")
        ) from None


def period_of(start: str | None, end: str | None) -> Period:
    """The period from its two days as typed (either may be empty: open-ended)."""
    return check_period(parse_day(start, "from"), parse_day(end, "to"))


def build(
    rt: Runtime,
    code: str,
    out: IO[bytes],
    period: Period,
    renderers: Renderers,
    previous: bytes | IO[bytes] | None = None,
) -> BundleSummary:
    """Write community ``code``'s audit bundle for ``period`` to ``out`` (seekable); see
    :func:`audit.bundle.build_bundle` for what it guarantees and refuses."""
    return rt.query(
        build_bundle, out, community=code, period=period, renderers=renderers, previous=previous
    )


def latest_end(rt: Runtime, code: str) -> BundleEnd | None:
    """Where a bundle of community ``code`` built now would end (None: no checkpoint yet)."""
    return rt.query(bundle_end, code)


def bundle_name(code: str, period: Period) -> str:
    """The file name a downloaded bundle gets: ``<code>-audit-<from>-<to>.zip`` (``start``
    and ``end`` for open ends)."""
    start = "start" if period.start is None else period.start.isoformat()
    end = "end" if period.end is None else period.end.isoformat()
    return f"{code}-audit-{start}-{end}.zip"
