"""The use plan of a ``fund_use`` question (DOMAIN.md §4.1): what owners approve, checked.

Pure values: no database. ``UsePlan`` cannot be built invalid; :func:`use_plan_problems`
lists everything wrong with a plan at once, for forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from voting.errors import N_, InvalidUsePlan

FUNDING_SOURCES: tuple[str, ...] = (
    "subsidy",
    "maintenance_fund",
    "social_capital",
    "public_income",
    "owners_direct",
)
"""Funding sources of a use plan (DOMAIN.md §4.7), in the order they are shown."""


@dataclass(frozen=True)
class UsePlan:
    """The use plan of a ``fund_use`` question (DOMAIN.md §4.1): what owners approve.

    Guarantees once constructed: ``repair`` is not blank; ``budget_fen`` is a positive int;
    ``sources`` holds all five :data:`FUNDING_SOURCES` in that order (missing ones as 0),
    each a non-negative int, adding up to the budget exactly. Raises ``InvalidUsePlan``
    otherwise. ``sources`` is read-only.
    """

    repair: str
    budget_fen: int
    sources: Mapping[str, int]
    emergency: str = ""

    def __post_init__(self) -> None:
        problems = use_plan_problems(self.repair, self.budget_fen, self.sources)
        if problems:
            message, params = problems[0]
            raise InvalidUsePlan(message, **params)
        full = {k: int(self.sources.get(k, 0)) for k in FUNDING_SOURCES}
        object.__setattr__(self, "repair", self.repair.strip())
        object.__setattr__(self, "emergency", (self.emergency or "").strip())
        object.__setattr__(self, "sources", MappingProxyType(full))

    def __hash__(self) -> int:
        return hash((self.repair, self.budget_fen, tuple(self.sources.items()), self.emergency))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UsePlan):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    @property
    def maintenance_fund_fen(self) -> int:
        """The part of the budget drawn from the maintenance fund (apportioned by area)."""
        return self.sources["maintenance_fund"]

    def as_dict(self) -> dict[str, Any]:
        """The plan as stored and logged: ``{"repair", "budget_fen", "sources", "emergency"}``."""
        return {
            "repair": self.repair,
            "budget_fen": self.budget_fen,
            "sources": dict(self.sources),
            "emergency": self.emergency,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsePlan:
        return cls(
            repair=data["repair"],
            budget_fen=data["budget_fen"],
            sources=data["sources"],
            emergency=data.get("emergency", ""),
        )


def use_plan_problems(
    repair: str, budget_fen: Any, sources: Mapping[str, Any]
) -> list[tuple[str, dict[str, str]]]:
    """Everything wrong with a use plan as (English message with ``%(name)s`` placeholders,
    params) pairs, in a fixed order; empty when the plan is valid."""
    problems: list[tuple[str, dict[str, str]]] = []
    if not isinstance(repair, str) or not repair.strip():
        problems.append((N_("The use plan must say what repair it pays for."), {}))
    if isinstance(budget_fen, bool) or not isinstance(budget_fen, int) or budget_fen <= 0:
        problems.append((N_("The budget must be a positive amount."), {}))
        budget_fen = None
    unknown = sorted(set(sources) - set(FUNDING_SOURCES))
    if unknown:
        problems.append((N_("Unknown funding source: %(source)s."), {"source": ", ".join(unknown)}))
    total = 0
    for key in FUNDING_SOURCES:
        value = sources.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                (
                    N_("The amount of funding source %(source)s must not be negative."),
                    {"source": key},
                )
            )
            continue
        total += value
    if budget_fen is not None and not problems and total != budget_fen:
        problems.append((N_("The funding sources must add up to the budget exactly."), {}))
    return problems
