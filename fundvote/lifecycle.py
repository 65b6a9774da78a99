"""A ballot's lifecycle steps, written once: the committee's pages, the JSON API and the
``fundvote ballot`` command perform them through :func:`advance_ballot`.

Each step is one use case (one unit of work) of ``voting``; this module only supplies what the
composition root knows (the log's origin for the published checkpoint) and names the steps.
"""

from __future__ import annotations

from fundvote.runtime import Runtime
from voting.api import BallotInfo
from voting.api import annul_ballot as _annul
from voting.api import cancel_ballot as _cancel
from voting.api import close_ballot as _close
from voting.api import finalize_ballot as _finalize
from voting.api import open_ballot as _open
from voting.api import publish_ballot as _publish
from voting.api import tally_ballot as _tally

STEPS = ("open", "close", "cancel", "tally", "publish", "finalize", "annul")
"""The step names, in the order a ballot usually takes them (cancel and annul are exits)."""
NEEDS_REASON = ("cancel", "annul")


def advance_ballot(
    rt: Runtime, step: str, *, ballot_ref: str, actor: int | None, reason: str = ""
) -> BallotInfo | None:
    """Perform lifecycle ``step`` on the ballot as staff user ``actor``.

    Returns the ballot after the step (None for ``tally``, whose result is the tally report:
    read it with ``voting.api.get_tally``). Raises ``ValueError`` for an unknown step name and
    whatever the step refuses with (``IllegalTransition``, ``WindowNotOver``...).
    """
    if step == "open":
        return rt.run_as(actor, _open, ballot_ref=ballot_ref, actor=actor)
    if step == "close":
        return rt.run_as(actor, _close, ballot_ref=ballot_ref, actor=actor)
    if step == "cancel":
        return rt.run_as(actor, _cancel, ballot_ref=ballot_ref, actor=actor, reason=reason)
    if step == "tally":
        rt.run_as(actor, _tally, ballot_ref=ballot_ref, actor=actor)
        return None
    if step == "publish":
        return rt.run_as(
            actor,
            _publish,
            ballot_ref=ballot_ref,
            actor=actor,
        )
    if step == "finalize":
        return rt.run_as(actor, _finalize, ballot_ref=ballot_ref, actor=actor)
    if step == "annul":
        return rt.run_as(actor, _annul, ballot_ref=ballot_ref, actor=actor, reason=reason)
    raise ValueError(f"unknown lifecycle step {step!r}")
