"""Words and formats shared by the ballot pages, the public results pages and the notice PDF.

Everything here is display only: money is integer fen shown as yuan with two decimals, area
integer 0.01 m² shown as m², times aware UTC shown in Asia/Shanghai. Nothing here decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from estate import api as estate_api
from estate.api import format_hundredths
from fundvote.errors import error_text as error_text  # the one renderer, for the views
from voting.api import (
    CONSULTATION,
    FUNDING_SOURCES,
    MATTERS,
    BallotInfo,
    TallyResult,
    Threshold,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

STATUS_LABELS: Mapping[str, Any] = {
    "draft": lazy_gettext("draft"),
    "open": lazy_gettext("open"),
    "closed": lazy_gettext("closed"),
    "tallied": lazy_gettext("counted"),
    "published": lazy_gettext("published"),
    "final": lazy_gettext("final"),
    "cancelled": lazy_gettext("cancelled"),
    "annulled": lazy_gettext("annulled"),
}
MATTER_LABELS: Mapping[str, Any] = {
    "rules": lazy_gettext("Assembly or management rules"),
    "committee": lazy_gettext("Elect or replace the committee"),
    "manager": lazy_gettext("Hire or dismiss the property manager"),
    "fund_use": lazy_gettext("Use the maintenance fund"),
    "fund_raise": lazy_gettext("Raise the maintenance fund"),
    "rebuild": lazy_gettext("Alter or rebuild buildings and facilities"),
    "change_use": lazy_gettext("Change the use of common parts"),
    "other": lazy_gettext("Other major matters"),
}
SOURCE_LABELS: Mapping[str, Any] = {
    "subsidy": lazy_gettext("Government subsidy"),
    "maintenance_fund": lazy_gettext("Maintenance fund"),
    "social_capital": lazy_gettext("Social capital"),
    "public_income": lazy_gettext("Public income"),
    "owners_direct": lazy_gettext("Owners pay directly"),
}
SCOPE_LABELS: Mapping[str, Any] = {
    "community": lazy_gettext("Whole community"),
    "buildings": lazy_gettext("Buildings"),
    "units": lazy_gettext("Units"),
}
DISCLOSURE_LABELS: Mapping[str, Any] = {
    "tracker": lazy_gettext("Trackers"),
    "named": lazy_gettext("Unit numbers"),
}
IDENTITY_LABELS: Mapping[str, Any] = {
    "none": lazy_gettext("None"),
    "sms_code": lazy_gettext("One-time code by SMS to the phone on record"),
    "id_last4": lazy_gettext("Last four characters of the ID number"),
    "phone_last4": lazy_gettext(
        "Last four digits of the phone number (weak: staff see them in masked phones)"
    ),
}
CHOICE_LABELS: Mapping[str, Any] = {
    "agree": lazy_gettext("agree"),
    "oppose": lazy_gettext("oppose"),
    "abstain": lazy_gettext("abstain"),
    "": lazy_gettext("(blank)"),
}
CHANNEL_LABELS: Mapping[str, Any] = {
    "online": lazy_gettext("online"),
    "paper": lazy_gettext("paper"),
    "proxy": lazy_gettext("proxy"),
}


def yuan(fen: int) -> str:
    """Integer fen as yuan, grouped, two decimals: ``123456789 -> "1,234,567.89"``, ``-150 ->
    "-1.50"``; see ``estate.quantities.format_hundredths``."""
    return format_hundredths(fen, grouping=True)


def local_time(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware time in Asia/Shanghai (``""`` for None)."""
    if at is None:
        return ""
    return at.astimezone(SHANGHAI).strftime(fmt)


def needed(threshold: Threshold, total: int) -> int:
    """The smallest part that meets ``threshold`` of ``total`` (exact integers)."""
    n, d = threshold.numerator, threshold.denominator
    if threshold.is_strict:
        return n * total // d + 1
    return -(-n * total // d)


def threshold_rows(result: TallyResult) -> list[dict[str, Any]]:
    """The four tests of a result, for display: what was compared, the rule, the smallest
    figure that meets it, and whether it was met. Empty for a consultation."""
    matter = MATTERS.get(result.matter, CONSULTATION)
    if matter.quorum is None or matter.approval is None:
        return []
    q, a = matter.quorum, matter.approval
    p = result.participated
    return [
        {
            "test": lazy_gettext("Took part, by heads"),
            "kind": "heads",
            "part": p.heads,
            "total": result.roll.heads,
            "of": lazy_gettext("of the roll"),
            "rule": q.label,
            "needed": needed(q, result.roll.heads),
            "met": result.quorum_heads_met,
        },
        {
            "test": lazy_gettext("Took part, by area"),
            "kind": "area",
            "part": p.area_centi,
            "total": result.roll.area_centi,
            "of": lazy_gettext("of the roll"),
            "rule": q.label,
            "needed": needed(q, result.roll.area_centi),
            "met": result.quorum_area_met,
        },
        {
            "test": lazy_gettext("Agree, by heads"),
            "kind": "heads",
            "part": result.agree.heads,
            "total": p.heads,
            "of": lazy_gettext("of those who took part"),
            "rule": a.label,
            "needed": needed(a, p.heads),
            "met": result.approval_heads_met,
        },
        {
            "test": lazy_gettext("Agree, by area"),
            "kind": "area",
            "part": result.agree.area_centi,
            "total": p.area_centi,
            "of": lazy_gettext("of those who took part"),
            "rule": a.label,
            "needed": needed(a, p.area_centi),
            "met": result.approval_area_met,
        },
    ]


def building_label(code: str, name: str | None = None) -> str:
    """The one label of a building on every page: its name with its code in brackets when
    they differ ("3号楼 (03)"), else "Building 03" (a building imported without a name)."""
    if name and name.strip() and name != code:
        return str(_("%(name)s (%(code)s)", name=name, code=code))
    return str(_("Building %(code)s", code=code))


def building_labels(community_id: int) -> Mapping[str, str]:
    """Code -> :func:`building_label` for the community's buildings (read once a request)."""
    cache: dict[int, Mapping[str, str]] = g.setdefault("fundvote_building_labels", {})
    if community_id not in cache:
        from fundvote.access import current_runtime

        rows = current_runtime().query(estate_api.buildings_of, community_id)
        cache[community_id] = {code: building_label(code, name) for code, name in rows}
    return cache[community_id]


def scope_text(ballot: BallotInfo, community_id: int) -> str:
    """A ballot's scope in words: the kind, then its buildings by their one label (or its
    unit codes)."""
    kind = str(SCOPE_LABELS[ballot.scope_kind])
    if not ballot.scope_codes:
        return kind
    if ballot.scope_kind == "buildings":
        labels = building_labels(community_id)
        codes = [labels.get(c, building_label(c)) for c in ballot.scope_codes]
    else:
        codes = list(ballot.scope_codes)
    return str(_("%(kind)s: %(codes)s", kind=kind, codes=_(", ").join(codes)))


def init_ballot_labels(app: Flask) -> None:
    """Template filters and globals for the ballot and results templates."""
    app.add_template_filter(yuan, "yuan")
    app.add_template_filter(local_time, "local")

    @app.context_processor
    def _labels() -> dict[str, object]:
        return {
            "status_labels": STATUS_LABELS,
            "matter_labels": MATTER_LABELS,
            "source_labels": SOURCE_LABELS,
            "scope_labels": SCOPE_LABELS,
            "disclosure_labels": DISCLOSURE_LABELS,
            "identity_labels": IDENTITY_LABELS,
            "choice_labels": CHOICE_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "threshold_rows": threshold_rows,
            "funding_sources": FUNDING_SOURCES,
            "building_label": building_label,
            "building_labels": building_labels,
            "scope_text": scope_text,
        }
