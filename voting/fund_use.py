"""The facts of a ``fund_use`` decision that the ledger's gates check (reads only).

Money follows decisions: ``ledger`` opens a project from a ``fund_use`` question's use plan
and checks every maintenance-fund draw against the decision, but may not read ``voting``'s
tables. :func:`fund_use_decision` gives it, in one frozen value, everything it needs: whether
the ballot is final, whether the binding result passed, the units the question applies to
with their in-scope areas at opening (the frozen roll), and the use plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

import sqlalchemy as sa

from estate.models import Community
from notary.work import UnitOfWork
from voting.decisions import outcome_words
from voting.finality import finality_of
from voting.models import Ballot, Decision, Question, RollUnit
from voting.use_plans import UsePlan


@dataclass(frozen=True)
class FundUseDecision:
    """One ``fund_use`` question of a ballot, as the ledger's gates see it.

    ``status`` is the ballot's status as it reads now (``final`` once the publicity period is
    over with no objection pending or upheld, before the tick records it); ``is_passed`` is the
    binding result (``passed``) of the recorded decision, ``False`` before tallying;
    ``unit_areas`` maps every unit code of the frozen roll (the question's scope; the whole
    community's units for a community-wide ballot) to its in-scope area (0.01 m²)."""

    ballot_ref: str
    position: int
    community_code: str
    title: str
    status: str
    final_at: datetime | None
    is_passed: bool
    is_whole_community: bool
    scope_kind: str
    unit_areas: Mapping[str, int]
    use_plan: UsePlan
    decision_log_index: int | None

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    @property
    def scope(self) -> frozenset[str]:
        """The unit codes the question applies to."""
        return frozenset(self.unit_areas)


def fund_use_decision(
    uow: UnitOfWork, community_code: str, ballot_ref: str, position: int
) -> FundUseDecision | None:
    """The ``fund_use`` decision of question ``position`` of ballot ``ballot_ref`` in
    ``community_code``, or ``None`` when there is no such ballot in that community, no such
    question, or the question is not a ``fund_use`` question with a use plan (a consultation
    never decides a use). Reads only; the status is the one the ballot reads as now."""
    s = uow.session
    if isinstance(position, bool) or not isinstance(position, int):
        return None
    row = s.execute(
        sa.select(Ballot, Community)
        .join(Community, Community.id == Ballot.community_id)
        .where(Ballot.ref == ballot_ref, Community.code == community_code)
    ).one_or_none()
    if row is None:
        return None
    ballot, community = row
    question = s.scalar(
        sa.select(Question).where(Question.ballot_id == ballot.id, Question.position == position)
    )
    if (
        question is None
        or question.matter != "fund_use"
        or question.use_plan is None
        or ballot.is_consultation
    ):
        return None
    plan = UsePlan.from_dict(json.loads(question.use_plan))
    decision = s.scalar(sa.select(Decision).where(Decision.question_id == question.id))
    is_passed = False
    if decision is not None:
        is_passed = bool(outcome_words(json.loads(decision.record))["passed"])
    finality = finality_of(s, ballot, uow.clock.now())
    areas = {
        code: int(area)
        for code, area in s.execute(
            sa.select(RollUnit.unit_code, RollUnit.area_centi)
            .where(RollUnit.ballot_id == ballot.id)
            .order_by(RollUnit.unit_code)
        )
    }
    return FundUseDecision(
        ballot_ref=ballot.ref,
        position=position,
        community_code=community.code,
        title=ballot.title,
        status=finality.status,
        final_at=finality.final_at,
        is_passed=is_passed,
        is_whole_community=ballot.scope_kind == "community",
        scope_kind=ballot.scope_kind,
        unit_areas=MappingProxyType(areas),
        use_plan=plan,
        decision_log_index=None if decision is None else decision.log_index,
    )
