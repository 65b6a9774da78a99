"""The names of voting's log events that readers of the log rely on (pure constants).

``voting.integrity`` compares the tables with these entries; the offline verifier
(``audit.verify``) rebuilds a bundle's ballots from them.
"""

from __future__ import annotations

from collections.abc import Mapping

OPENED = "voting.ballot_opened"
CAST_EVENT = "voting.ballot_cast"
PAPER_ENTERED = "voting.paper_entered"
PAPER_VOIDED = "voting.paper_voided"
DECISION = "voting.decision_recorded"

STATE_EVENTS: Mapping[str, str] = {
    "voting.ballot_created": "draft",
    OPENED: "open",
    "voting.ballot_closed": "closed",
    DECISION: "tallied",
    "voting.ballot_published": "published",
    "voting.ballot_final": "final",
    "voting.ballot_cancelled": "cancelled",
    "voting.ballot_annulled": "annulled",
}
"""The status a ballot has after each logged event that moves it."""
