"""What the log says about the property register and the ballots, as the ledger's offline
checks need it (pure: standard library only).

The register is rebuilt from ``estate.roll_imported`` entries (each unit's latest import
wins: building and area); ballots from their ``voting.*`` state entries (use plans, scope,
recorded decisions, publicity, finality, annulment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def parse_at(text: object) -> datetime | None:
    """An envelope's ``at`` (or any ISO 8601 time with a zone) as an aware datetime, or
    None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


@dataclass
class Register:
    """Each unit's building and area (0.01 m²) as the latest roll import before now set it."""

    areas: dict[str, int] = field(default_factory=dict)
    buildings: dict[str, str] = field(default_factory=dict)

    def imported(self, data: dict[str, Any]) -> None:
        """Apply one ``estate.roll_imported`` entry's units (unit, building, area_centi)."""
        for unit in data.get("units") or []:
            code, area = unit["unit"], unit["area_centi"]
            if isinstance(area, bool) or not isinstance(area, int):
                raise TypeError("area_centi is not an integer")
            self.areas[str(code)] = area
            self.buildings[str(code)] = str(unit.get("building", ""))

    def scope(self, kind: str, codes: list[str]) -> dict[str, int]:
        """Unit code -> area for a scope (``community``, ``buildings`` or ``units``) as the
        register stands now."""
        wanted = {str(c) for c in codes}
        if kind == "community":
            return dict(self.areas)
        if kind == "buildings":
            return {u: a for u, a in self.areas.items() if self.buildings.get(u) in wanted}
        return {u: a for u, a in self.areas.items() if u in wanted}


@dataclass
class BallotState:
    """One ballot as its log entries describe it."""

    ref: str
    index: int
    questions: dict[int, dict[str, Any]]
    scope_kind: str
    scope_units: dict[str, int]
    roll_area_centi: int | None
    is_consultation: bool
    decisions: dict[int, dict[str, Any]] = field(default_factory=dict)
    publicity_ends: datetime | None = None
    final_index: int | None = None
    annulled_index: int | None = None
    objections: set[str] = field(default_factory=set)
    answers: dict[str, bool] = field(default_factory=dict)

    def is_final_at(self, index: int, at: datetime) -> bool:
        """Whether the ballot reads as final for an entry at ``index`` logged at ``at``
        (``voting.finality.effective_finality``): ``voting.ballot_final`` logged before it,
        or, published and not annulled, its publicity period over by then with every
        objection lodged so far answered and none upheld (final before the tick logs it)."""
        if self.annulled_index is not None and self.annulled_index < index:
            return False
        if self.final_index is not None and self.final_index < index:
            return True
        if self.publicity_ends is None or at < self.publicity_ends:
            return False
        return self.objections <= set(self.answers) and not any(self.answers.values())


def passed(decision: dict[str, Any]) -> bool:
    """The binding result of a recorded decision (``voting.decisions.outcome_words``)."""
    chosen = decision["deemed_majority"] if decision.get("binding") == "deemed_majority" else None
    return bool((chosen or decision["plain"])["passed"])


class Ballots:
    """Every ballot of the log, fed the ``voting.*`` entries in order."""

    def __init__(self) -> None:
        self.by_ref: dict[str, BallotState] = {}

    def entry(self, index: int, kind: str, data: dict[str, Any], register: Register) -> None:
        """Apply one ``voting.*`` entry (others are ignored)."""
        ref = str(data.get("ballot", ""))
        if kind == "voting.ballot_opened":
            content = data.get("content") or {}
            questions = {
                int(q["position"]): q
                for q in content.get("questions") or []
                if isinstance(q, dict) and isinstance(q.get("position"), int)
            }
            scope = data.get("scope") or {}
            scope_kind = str(scope.get("kind", "community"))
            roll = data.get("roll") or {}
            area = roll.get("area_centi")
            self.by_ref[ref] = BallotState(
                ref=ref,
                index=index,
                questions=questions,
                scope_kind=scope_kind,
                scope_units=register.scope(scope_kind, list(scope.get("codes") or [])),
                roll_area_centi=area if isinstance(area, int) else None,
                is_consultation=bool(data.get("consultation")),
            )
            return
        ballot = self.by_ref.get(ref)
        if ballot is None:
            return
        if kind == "voting.decision_recorded":
            ballot.decisions[int(data["question"])] = data
        elif kind == "voting.ballot_published":
            ballot.publicity_ends = parse_at((data.get("publicity") or {}).get("ends_at"))
        elif kind == "voting.ballot_final":
            ballot.final_index = index
        elif kind in ("voting.ballot_annulled", "voting.ballot_cancelled"):
            ballot.annulled_index = index
        elif kind == "voting.objection_lodged":
            ballot.objections.add(str(data["objection"]))
        elif kind == "voting.objection_answered":
            ballot.answers[str(data["objection"])] = bool(data.get("upheld"))
