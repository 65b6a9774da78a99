"""The committee's step guide for one ballot: which steps are done and which one is next.

One pure function, :func:`step_guide`, reads the ballot's state (``BallotInfo``) and a few
facts (:class:`GuideFacts`: links issued, votes cast, paper entries to resolve) and returns the
ten steps a committee takes, from the draft to the final result, each marked ``done``,
``next``, ``todo``, ``skipped`` (passed without being needed, e.g. no documents) or
``stopped`` (the ballot was cancelled or annulled before it). The ballot page renders it; the
actions each step points to are named here as endpoints so the page can hide those the user's
role cannot reach (:func:`fundvote.access.may_visit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext

from voting.api import BallotInfo

STEP_KEYS: tuple[str, ...] = (
    "draft",
    "documents",
    "open",
    "links",
    "turnout",
    "paper",
    "close",
    "tally",
    "publish",
    "final",
)
"""The steps in the order a committee takes them."""

MARKS: tuple[str, ...] = ("done", "next", "todo", "skipped", "stopped")

_AFTER_OPEN = ("open", "closed", "tallied", "published", "final", "annulled")
_AFTER_CLOSE = ("closed", "tallied", "published", "final", "annulled")
_AFTER_TALLY = ("tallied", "published", "final", "annulled")
_AFTER_PUBLISH = ("published", "final", "annulled")


@dataclass(frozen=True)
class GuideFacts:
    """What the guide needs beyond the ballot's state, read by the page in one query each."""

    links_issued: int = 0  # live and revoked links together: 0 means none was ever issued
    votes_cast: int = 0
    members: int = 0
    paper_to_resolve: int = 0  # paper entries that differ or conflict


@dataclass(frozen=True)
class GuideStep:
    """One step of the guide: its key, its mark, and the endpoint where it is done."""

    key: str
    mark: str
    endpoint: str

    @property
    def is_next(self) -> bool:
        return self.mark == "next"


ENDPOINTS: Mapping[str, str] = {
    "draft": "ballots.edit",
    "documents": "ballots.detail",
    "open": "ballots.confirm",
    "links": "voting_desk.links",
    "turnout": "ballots.turnout",
    "paper": "voting_desk.paper",
    "close": "ballots.detail",
    "tally": "ballots.detail",
    "publish": "ballots.confirm",
    "final": "ballots.objections",
}


def _done(info: BallotInfo, facts: GuideFacts, now: datetime) -> dict[str, bool]:
    status = info.status
    window_over = now >= info.closes_at
    opened = status in _AFTER_OPEN or info.opened_at is not None
    return {
        "draft": True,
        "documents": bool(info.attachments),
        "open": opened,
        "links": opened and facts.links_issued > 0,
        "turnout": status in _AFTER_CLOSE or (status == "open" and window_over),
        "paper": status in _AFTER_CLOSE and facts.paper_to_resolve == 0,
        "close": status in _AFTER_CLOSE,
        "tally": status in _AFTER_TALLY,
        "publish": status in _AFTER_PUBLISH,
        "final": status == "final",
    }


def _next_key(info: BallotInfo, facts: GuideFacts, now: datetime) -> str | None:
    """The one step to do now, or None once the ballot is settled."""
    status = info.status
    if status == "draft":
        return "documents" if not info.attachments else "open"
    if status == "open":
        if now >= info.closes_at:
            return "paper" if facts.paper_to_resolve else "close"
        return "links" if facts.links_issued == 0 else "turnout"
    if status == "closed":
        return "paper" if facts.paper_to_resolve else "tally"
    if status == "tallied":
        return "publish"
    if status == "published":
        return "final"
    return None


def step_guide(info: BallotInfo, facts: GuideFacts, now: datetime) -> tuple[GuideStep, ...]:
    """The ten steps of ``info`` with their marks, in order.

    Guarantees: exactly one step is ``next`` while the ballot can still move forward (draft to
    published) and none once it is final, cancelled or annulled; every step before the next
    one is ``done`` or ``skipped`` (optional steps not needed: no documents, no links issued,
    nothing typed on paper), every step after it is ``todo``; a cancelled or annulled ballot
    marks ``stopped`` every step it did not reach. Pure: reads only its arguments.
    """
    done = _done(info, facts, now)
    next_key = _next_key(info, facts, now)
    position = STEP_KEYS.index(next_key) if next_key else None
    halted = info.status in ("cancelled", "annulled")
    reached = _reached(info)
    steps = []
    for i, key in enumerate(STEP_KEYS):
        if key == next_key:
            mark = "next"
        elif halted and i > reached:
            mark = "stopped"
        elif done[key]:
            mark = "done"
        elif (position is not None and i < position) or (position is None and i <= reached):
            mark = "skipped"
        else:
            mark = "todo"
        steps.append(GuideStep(key, mark, ENDPOINTS[key]))
    return tuple(steps)


def _reached(info: BallotInfo) -> int:
    """Index of the last step the ballot's status stands for (for settled ballots)."""
    by_status = {
        "draft": "documents",
        "cancelled": "open" if info.opened_at is not None else "documents",
        "open": "open",
        "closed": "close",
        "tallied": "tally",
        "published": "publish",
        "annulled": "publish",
        "final": "final",
    }
    return STEP_KEYS.index(by_status.get(info.status, "draft"))


STEP_LABELS: Mapping[str, object] = {
    "draft": lazy_gettext("Write the draft"),
    "documents": lazy_gettext("Attach the documents"),
    "open": lazy_gettext("Open the ballot"),
    "links": lazy_gettext("Issue the personal links"),
    "turnout": lazy_gettext("Watch the turnout, remind non-voters"),
    "paper": lazy_gettext("Enter the paper ballots"),
    "close": lazy_gettext("Close the ballot"),
    "tally": lazy_gettext("Count the votes"),
    "publish": lazy_gettext("Publish the results"),
    "final": lazy_gettext("Answer objections; the result becomes final"),
}

MARK_LABELS: Mapping[str, object] = {
    "done": lazy_gettext("done"),
    "next": lazy_gettext("next"),
    "todo": lazy_gettext("to do"),
    "skipped": lazy_gettext("not needed"),
    "stopped": lazy_gettext("stopped"),
}
