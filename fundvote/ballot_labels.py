"""Words and formats shared by the ballot pages, the public results pages and the notice PDF.

Everything here is display only: money is integer fen shown as yuan with two decimals, area
integer 0.01 m² shown as m², times aware UTC shown in Asia/Shanghai. Nothing here decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from estate.quantities import format_hundredths
from notary.errors import DomainError
from voting.matters import CONSULTATION, MATTERS, Threshold
from voting.tally import TallyResult

SHANGHAI = ZoneInfo("Asia/Shanghai")

STATUS_LABELS: Mapping[str, Any] = {
    "draft": _l("draft"),
    "open": _l("open"),
    "closed": _l("closed"),
    "tallied": _l("counted"),
    "published": _l("published"),
    "final": _l("final"),
    "cancelled": _l("cancelled"),
    "annulled": _l("annulled"),
}
MATTER_LABELS: Mapping[str, Any] = {
    "rules": _l("Assembly or management rules"),
    "committee": _l("Elect or replace the committee"),
    "manager": _l("Hire or dismiss the property manager"),
    "fund_use": _l("Use the maintenance fund"),
    "fund_raise": _l("Raise the maintenance fund"),
    "rebuild": _l("Alter or rebuild buildings and facilities"),
    "change_use": _l("Change the use of common parts"),
    "other": _l("Other major matters"),
}
SOURCE_LABELS: Mapping[str, Any] = {
    "subsidy": _l("Government subsidy"),
    "maintenance_fund": _l("Maintenance fund"),
    "social_capital": _l("Social capital"),
    "public_income": _l("Public income"),
    "owners_direct": _l("Owners pay directly"),
}
SCOPE_LABELS: Mapping[str, Any] = {
    "community": _l("Whole community"),
    "buildings": _l("Buildings"),
    "units": _l("Units"),
}
DISCLOSURE_LABELS: Mapping[str, Any] = {
    "tracker": _l("Trackers (each voter can find their own ballot)"),
    "named": _l("Unit numbers"),
}
IDENTITY_LABELS: Mapping[str, Any] = {
    "none": _l("None"),
    "id_last4": _l("Last four digits of the ID number"),
    "phone_last4": _l("Last four digits of the phone number"),
}
CHOICE_LABELS: Mapping[str, Any] = {
    "agree": _l("agree"),
    "oppose": _l("oppose"),
    "abstain": _l("abstain"),
    "": _l("(blank)"),
}
CHANNEL_LABELS: Mapping[str, Any] = {
    "online": _l("online"),
    "paper": _l("paper"),
    "proxy": _l("proxy"),
}


def yuan(fen: int) -> str:
    """Integer fen as yuan, grouped, two decimals: ``123456789 -> "1,234,567.89"``."""
    whole, _, frac = format_hundredths(fen).partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{frac}"


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
            "test": _l("Took part, by heads"),
            "kind": "heads",
            "part": p.heads,
            "total": result.roll.heads,
            "of": _l("of the roll"),
            "rule": q.label,
            "needed": needed(q, result.roll.heads),
            "met": result.quorum_heads_met,
        },
        {
            "test": _l("Took part, by area"),
            "kind": "area",
            "part": p.area_centi,
            "total": result.roll.area_centi,
            "of": _l("of the roll"),
            "rule": q.label,
            "needed": needed(q, result.roll.area_centi),
            "met": result.quorum_area_met,
        },
        {
            "test": _l("Agree, by heads"),
            "kind": "heads",
            "part": result.agree.heads,
            "total": p.heads,
            "of": _l("of those who took part"),
            "rule": a.label,
            "needed": needed(a, p.heads),
            "met": result.approval_heads_met,
        },
        {
            "test": _l("Agree, by area"),
            "kind": "area",
            "part": result.agree.area_centi,
            "total": p.area_centi,
            "of": _l("of those who took part"),
            "rule": a.label,
            "needed": needed(a, p.area_centi),
            "met": result.approval_area_met,
        },
    ]


def error_text(exc: DomainError) -> str:
    """A domain error's message in the user's language, with status words translated."""
    params = {k: str(v) for k, v in exc.params.items()}
    if "status" in params and params["status"] in STATUS_LABELS:
        params["status"] = str(STATUS_LABELS[params["status"]])
    return gettext(exc.message, **params)


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
        }
