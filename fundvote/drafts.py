"""Saving a ballot draft, written once: the committee's draft form, the JSON API (``POST`` and
``PUT`` of a ballot) and the demo create and change drafts through :func:`save_draft`.

The one rule this module adds to ``voting``'s steps: a draft's content is always given whole
(every field, all questions), and a publicity period left out means the community's own
period, both when the draft is created and when it is changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from estate.api import CommunityInfo
from fundvote.runtime import Runtime
from voting import api as voting
from voting.api import BallotInfo, QuestionDraft


@dataclass(frozen=True)
class DraftContent:
    """Everything a draft says, as the form or the request gave it (already parsed)."""

    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    questions: Sequence[QuestionDraft]
    scope_kind: str = "community"
    scope_codes: Sequence[str] = ()
    publicity_days: int | None = None
    disclosure: str = "tracker"
    is_consultation: bool = False
    identity_check: str = "none"


def save_draft(
    rt: Runtime,
    *,
    community: CommunityInfo,
    ballot_ref: str | None,
    content: DraftContent,
    actor: int | None,
) -> BallotInfo:
    """Create a draft in ``community`` (``ballot_ref`` None) or replace the content of the
    draft ``ballot_ref``, in one unit of work, and return it.

    Guarantees: the whole content is validated by ``voting`` (``InvalidBallot`` and its kin,
    nothing written on refusal); a draft that has opened is refused (``BallotFrozen``); a
    missing publicity period means the draft follows the community's setting until it opens
    (then the period in force is frozen into it); the change is logged by the step
    (``voting.ballot_created`` / ``voting.draft_updated``) with ``actor``.
    """
    fields: dict[str, Any] = {
        "title": content.title,
        "description": content.description,
        "opens_at": content.opens_at,
        "closes_at": content.closes_at,
        "questions": list(content.questions),
        "scope_kind": content.scope_kind,
        "scope_codes": list(content.scope_codes),
        "publicity_days": content.publicity_days,
        "disclosure": content.disclosure,
        "is_consultation": content.is_consultation,
        "identity_check": content.identity_check,
    }
    if ballot_ref is None:
        return rt.run(
            voting.create_ballot, community_code=community.code, created_by=actor, **fields
        )
    if content.publicity_days is None:
        fields["publicity_days"] = voting.FOLLOW_COMMUNITY
    return rt.run(voting.update_draft, ballot_ref=ballot_ref, actor=actor, **fields)
