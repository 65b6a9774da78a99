"""The logged record of a question's decision, as pure functions (no database).

``voting.decisions`` writes these records when it tallies a ballot; the offline verifier
(``audit.verify``) recomputes them from a bundle's roll and board and compares. Both call the
same functions here, so a record can only be reproduced exactly, never approximately.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voting.matters import CONSULTATION, Matter, matter_by_key
from voting.tally import Figure, Tally, TallyResult


def binding_of(deemed_majority_enabled: bool, binding_result: str) -> str:
    """Which result binds: ``"deemed_majority"`` only when the rule is on and the community
    chose it (``binding_result == "deemed"``), else ``"plain"``."""
    return "deemed_majority" if deemed_majority_enabled and binding_result == "deemed" else "plain"


def matter_of(is_consultation: bool, matter_key: str) -> Matter:
    """The matter whose thresholds apply: ``CONSULTATION`` for an advisory ballot."""
    return CONSULTATION if is_consultation else matter_by_key(matter_key)


def decision_record(
    ballot_ref: str, position: int, matter_key: str, result: Tally, binding: str
) -> dict[str, Any]:
    """The logged record of one question's decision: the figures, each threshold and whether
    it was met, the outcome words, the deemed-majority result beside it (or ``None``) and
    which one binds. Figures are ``{"heads", "area_centi"}``; tests are ``true``/``false``,
    or ``null`` for a consultation."""
    matter = matter_of(result.plain.matter == CONSULTATION.key, matter_key)
    return {
        "ballot": ballot_ref,
        "question": position,
        "matter": matter_key,
        "consultation": matter.is_consultation,
        "thresholds": {
            "quorum": matter.quorum.label if matter.quorum else None,
            "approval": matter.approval.label if matter.approval else None,
        },
        "plain": result_dict(result.plain),
        "deemed_majority": (
            None if result.deemed_majority is None else result_dict(result.deemed_majority)
        ),
        "binding": binding if result.deemed_majority is not None else "plain",
    }


def figure_dict(f: Figure) -> dict[str, Any]:
    """A figure as logged: ``{"heads", "area_centi"}`` (integers)."""
    return {"heads": f.heads, "area_centi": f.area_centi}


def result_dict(
    r: TallyResult, *, fig: Callable[[Figure], dict[str, Any]] = figure_dict
) -> dict[str, Any]:
    """A tally result as plain values: the figures (each shaped by ``fig``, logged form by
    default), every threshold test (``None`` where the matter has none) and the deemed
    non-voters' choice (``None`` when the rule did not apply)."""
    return {
        "roll": fig(r.roll),
        "participated": fig(r.participated),
        "agree": fig(r.agree),
        "oppose": fig(r.oppose),
        "abstain": fig(r.abstain),
        "quorum_area_met": r.quorum_area_met,
        "quorum_heads_met": r.quorum_heads_met,
        "approval_area_met": r.approval_area_met,
        "approval_heads_met": r.approval_heads_met,
        "quorum_met": r.quorum_met,
        "approved": r.approved,
        "passed": r.passed,
        "non_voters_counted_as": (
            None if r.non_voters_counted_as is None else str(r.non_voters_counted_as)
        ),
    }
