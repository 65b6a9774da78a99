"""Offline checks of projects, draws and emergencies, from the log alone (pure).

Fed the ledger's project and draw entries in log order, it recomputes what every draw had to
post with the ledger's own rules (``ledger.draw_rules``: sources by the plan, the
maintenance-fund part across the project's units by area, stages apportioning the
cumulative amount, shortfalls by the sub-accounts' running balances, warranty retention) and
checks each maintenance-fund draw is covered: by a final, passed ``fund_use`` decision whose
scope is the project's and whose plan's maintenance-fund amount covers the project's
cumulative maintenance-fund charges, or by an emergency record whose costs were published to
the owners by its deadline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from audit.ledger_register import Ballots, Register, parse_at, passed
from ledger.chart_spec import UNIT_RECEIVABLE, UNIT_SUBACCOUNT
from ledger.draw_rules import (
    RECEIVED_ACCOUNT,
    draw_lines,
    release_lines,
    split_draw,
    split_release,
    split_retention,
)
from notary.errors import DomainError

Report = Callable[[str, int, str], None]
"""How a finding is reported: (check, log index, what)."""


@dataclass
class ProjectState:
    """A project as opened in the log, and what its posted draws charged so far."""

    ref: str
    index: int
    data: dict[str, Any]
    plan: dict[str, int]
    units: dict[str, int]
    drawn_fen: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    units_charged: dict[str, int] = field(default_factory=dict)
    held_fund: int = 0
    held_project: int = 0
    shortfalls: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)


@dataclass
class EmergencyState:
    """An emergency record and, once logged, its publication."""

    ref: str
    index: int
    at: datetime | None
    deadline: datetime | None
    scope: dict[str, int] = field(default_factory=dict)
    published_index: int | None = None
    published_at: datetime | None = None
    draws: int = 0


def _int_map(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise TypeError("not a mapping")
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("not an integer")
        out[str(k)] = v
    return out


class DrawChecks:
    """The coverage, apportionment and emergency-publication checks of the ledger."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self.projects: dict[str, ProjectState] = {}
        self.emergencies: dict[str, EmergencyState] = {}
        self.recorded: dict[str, dict[str, Any]] = {}
        self.draw_entries = 0
        self.posted_draws: set[str] = set()
        self.outcomes: dict[str, dict[str, Any]] = {}
        """What each posted draw's ``ledger.draw_posted`` must say (entry, retention split,
        shortfall), from the rules."""
        self._outcome: dict[str, Any] = {}
        self.publish_days: int | None = None
        """The community's ``emergency_publish_days`` once the log states it (the creation
        entry carries it, and each setting change; logs written before the creation entry
        carried it state it only from a change)."""

    def settings(self, data: dict[str, Any]) -> None:
        """Note the publication period from ``estate.community_created`` or
        ``estate.settings_changed`` (the values after the change)."""
        for values in (data.get("settings"), data.get("old"), data.get("new")):
            if isinstance(values, dict):
                days = values.get("emergency_publish_days")
                if isinstance(days, int) and not isinstance(days, bool):
                    self.publish_days = days

    # -- events ------------------------------------------------------------------------

    def event(
        self,
        index: int,
        kind: str,
        data: dict[str, Any],
        at: datetime | None,
        register: Register,
        ballots: Ballots,
    ) -> None:
        """Apply one ``ledger.*`` event other than a journal entry."""
        if kind == "ledger.emergency_recorded":
            ref = str(data["emergency"])
            evidence = data.get("evidence_sha256")
            if not (isinstance(evidence, str) and len(evidence) == 64) or not data.get("category"):
                self._report(
                    "coverage", index, f"emergency {ref} names no category or evidence hash"
                )
            deadline = parse_at(data.get("publish_deadline"))
            if deadline is None or at is None or deadline < at:
                self._report(
                    "emergency-publication",
                    index,
                    f"emergency {ref} has no sound publication deadline",
                )
            elif self.publish_days is not None and deadline != at + timedelta(
                days=self.publish_days
            ):
                self._report(
                    "emergency-publication",
                    index,
                    f"emergency {ref}: its deadline is not {self.publish_days} days after "
                    "its record, as the community's setting says",
                )
            scope = register.scope(str(data.get("scope_kind")), list(data.get("scope_codes") or []))
            if len(scope) != data.get("units"):
                self._report(
                    "coverage",
                    index,
                    f"emergency {ref} counts {data.get('units')} units, the register's scope "
                    f"{len(scope)}",
                )
            self.emergencies[ref] = EmergencyState(ref, index, at, deadline, scope)
        elif kind == "ledger.emergency_published":
            found = self.emergencies.get(str(data["emergency"]))
            if found is None:
                self._report(
                    "emergency-publication",
                    index,
                    f"publication of emergency {data['emergency']}, never recorded",
                )
            elif found.published_index is None:
                found.published_index, found.published_at = index, at
                self._published(index, found, data)
        elif kind == "ledger.project_opened":
            self._opened(index, data, register, ballots)
        elif kind == "ledger.draw_recorded":
            self.recorded[str(data["draw"])] = data
        elif kind == "ledger.draw_posted":
            want = self.outcomes.get(str(data["draw"]))
            if want is None or any(data.get(k) != v for k, v in want.items()):
                self._report(
                    "coverage",
                    index,
                    f"draw {data['draw']}: the posting event does not match its journal entry",
                )

    def _published(self, index: int, record: EmergencyState, data: dict[str, Any]) -> None:
        """What the owners were shown equals the books: the project's draws so far by
        source and by unit (charge, shortfall), and whether it was late."""
        late = (
            record.deadline is not None
            and record.published_at is not None
            and (record.published_at > record.deadline)
        )
        if data.get("is_late") is not None and bool(data.get("is_late")) != late:
            self._report(
                "emergency-publication", index, f"emergency {record.ref}: 'is_late' is wrong"
            )
        project = self.projects.get(str(data.get("project")))
        if project is None:
            return
        shown_units = data.get("units") or {}
        units = {
            u: [project.units_charged.get(u, 0), project.shortfalls.get(u, 0)]
            for u in project.units
        }
        sources = {k: v for k, v in (data.get("sources") or {}).items() if v}
        charged = {k: v for k, v in project.sources.items() if v}
        if (
            data.get("drawn_fen") != project.drawn_fen
            or sources != charged
            or {u: list(v) for u, v in shown_units.items()} != units
        ):
            self._report(
                "emergency-publication",
                index,
                f"emergency {record.ref}: the costs published are not what the draws charged",
            )

    def _opened(
        self, index: int, data: dict[str, Any], register: Register, ballots: Ballots
    ) -> None:
        ref = str(data["project"])
        units = _int_map(data["units"])
        plan = _int_map(data["sources"])
        if sum(plan.values()) != data.get("budget_fen"):
            self._report("coverage", index, f"project {ref}: the sources do not sum to the budget")
        self.projects[ref] = ProjectState(ref, index, data, plan, units)
        if data.get("origin") == "emergency":
            record = self.emergencies.get(str(data.get("emergency")))
            if record is None:
                self._report("coverage", index, f"project {ref} names no recorded emergency")
            elif set(record.scope) != set(units):
                self._report(
                    "coverage", index, f"project {ref} is not the scope of emergency {record.ref}"
                )
            self._same_areas(index, ref, units, register.areas)
            return
        ballot = ballots.by_ref.get(str(data.get("ballot")))
        question = None if ballot is None else ballot.questions.get(data.get("question"))  # type: ignore[arg-type]
        if ballot is None or question is None or ballot.is_consultation:
            self._report("coverage", index, f"project {ref} names no logged ballot question")
            return
        plan_of = question.get("use_plan") or {}
        if question.get("matter") != "fund_use" or _int_map(plan_of.get("sources", {})) != plan:
            self._report("coverage", index, f"project {ref}: its plan is not the decided use plan")
        if set(units) != set(ballot.scope_units):
            self._report(
                "coverage",
                index,
                f"project {ref} covers {len(units)} units, its ballot's scope "
                f"{len(ballot.scope_units)}",
            )
        self._same_areas(index, ref, units, ballot.scope_units)
        if ballot.roll_area_centi is not None and sum(units.values()) != ballot.roll_area_centi:
            self._report(
                "apportionment",
                index,
                f"project {ref}: its units' areas sum to {sum(units.values())}, the ballot's "
                f"roll to {ballot.roll_area_centi}",
            )

    def _same_areas(
        self, index: int, ref: str, units: Mapping[str, int], register: Mapping[str, int]
    ) -> None:
        wrong = sorted(u for u, a in units.items() if register.get(u) != a)
        if wrong:
            self._report(
                "apportionment",
                index,
                f"project {ref}: the area of unit {wrong[0]} (and {len(wrong) - 1} more) is not "
                "the register's",
            )

    # -- journal entries ---------------------------------------------------------------

    def funding(self, index: int, data: dict[str, Any]) -> None:
        """A ``project_funding`` entry: money of a source other than the fund received for
        its project (the credit to the source's received account)."""
        project = self.projects.get(str((data.get("documents") or {}).get("project", "")))
        if project is None:
            self._report("coverage", index, f"entry {data['entry']} funds no opened project")
            return
        for code, amount in data["postings"]:
            for source, account in RECEIVED_ACCOUNT.items():
                if code == account:
                    project.received[source] = project.received.get(source, 0) - amount

    def draw_entry(
        self,
        index: int,
        at: datetime | None,
        data: dict[str, Any],
        balances: Mapping[str, int],
        ballots: Ballots,
    ) -> None:
        """Check one ``draw`` or ``retention_release`` journal entry (before its postings
        change ``balances``) and add what it charged to its project."""
        self.draw_entries += 1
        documents = data.get("documents") or {}
        draw_ref = str(documents.get("draw", ""))
        draw = self.recorded.get(draw_ref)
        project = self.projects.get(str(documents.get("project", "")))
        if draw is None or project is None or draw.get("project") != project.ref:
            self._report(
                "coverage", index, f"draw entry {data['entry']} names no recorded draw of a project"
            )
            return
        if draw_ref in self.posted_draws:
            self._report("coverage", index, f"draw {draw_ref} is posted a second time")
        self.posted_draws.add(draw_ref)
        if draw.get("value_date") != data["value_date"] or draw.get("memo", "") != data["memo"]:
            self._report(
                "journal", index, f"draw {draw_ref} posted with another value date or memo"
            )
        posted = Counter[str]()
        for code, amount in data["postings"]:
            posted[code] += amount
        try:
            expected, charged, unit_shares = self._expected(project, draw, data["kind"], balances)
        except DomainError as error:
            self._report("coverage", index, f"draw {draw_ref}: {error.text}")
            return
        self._compare(index, draw_ref, expected, posted)
        self.outcomes[draw_ref] = {
            "entry": data["entry"],
            "project": project.ref,
            **self._outcome,
        }
        for source, amount in charged.items():
            spent = project.sources.get(source, 0) + amount
            if (
                source != "maintenance_fund"
                and amount > 0
                and spent > project.received.get(source, 0)
            ):
                self._report(
                    "coverage",
                    index,
                    f"draw {draw_ref} charges {source} {spent} fen in all, more than the "
                    f"{project.received.get(source, 0)} fen received for the project",
                )
        fund_after = project.sources.get("maintenance_fund", 0) + charged.get("maintenance_fund", 0)
        self._covered(index, at, project, fund_after, ballots, draw_ref)
        # Later stages build on what the rule charged, so one wrong stage is reported once.
        for source, amount in charged.items():
            if source != "maintenance_fund":
                project.sources[source] = project.sources.get(source, 0) + amount
        for unit, share in unit_shares.items():
            project.units_charged[unit] = project.units_charged.get(unit, 0) + share
        project.sources["maintenance_fund"] = project.sources.get("maintenance_fund", 0) + sum(
            unit_shares.values()
        )
        project.drawn_fen += int(draw.get("amount_fen", 0))

    def _expected(
        self,
        project: ProjectState,
        draw: dict[str, Any],
        kind: str,
        balances: Mapping[str, int],
    ) -> tuple[Counter[str], dict[str, int], dict[str, int]]:
        """The postings the rules give for ``draw``, its charge per source and per unit."""
        lines: list[tuple[str, int]]
        unit_shares: dict[str, int] = {}
        if draw.get("stage") == "retention_release" or kind == "retention_release":
            fund, proj = split_release(
                int(draw["retention_fen"]), project.held_fund, project.held_project
            )
            project.held_fund -= fund
            project.held_project -= proj
            lines, charged = release_lines(fund, proj), {}
            self._outcome = {
                "fund_bank_retention_fen": fund,
                "project_bank_retention_fen": proj,
                "shortfall_fen": 0,
            }
        else:
            holdings = {u: -balances.get(f"{UNIT_SUBACCOUNT.code}.{u}", 0) for u in project.units}
            split = split_draw(
                plan=project.plan,
                unit_areas=project.units,
                drawn_before_fen=project.drawn_fen,
                amount_fen=int(draw["amount_fen"]),
                sources_before=project.sources,
                units_before=project.units_charged,
                holdings=holdings,
            )
            fund, proj = split_retention(
                int(draw.get("retention_fen", 0)),
                split.paid_from_subaccounts_fen,
                split.other_sources_fen,
            )
            project.held_fund += fund
            project.held_project += proj
            self._outcome = {
                "fund_bank_retention_fen": fund,
                "project_bank_retention_fen": proj,
                "shortfall_fen": split.shortfall_fen,
            }
            lines = draw_lines(
                split,
                (fund, proj),
                {u.unit_code: f"{UNIT_SUBACCOUNT.code}.{u.unit_code}" for u in split.units},
                {u.unit_code: f"{UNIT_RECEIVABLE.code}.{u.unit_code}" for u in split.units},
            )
            charged = dict(split.sources)
            unit_shares = {u.unit_code: u.share_fen for u in split.units}
            for u in split.units:
                if u.shortfall_fen:
                    project.shortfalls[u.unit_code] = (
                        project.shortfalls.get(u.unit_code, 0) + u.shortfall_fen
                    )
        expected = Counter[str]()
        for code, amount in lines:
            expected[code] += amount
        return expected, charged, unit_shares

    def _compare(
        self, index: int, draw_ref: str, expected: Counter[str], posted: Counter[str]
    ) -> None:
        wrong = sorted(c for c in set(expected) | set(posted) if expected[c] != posted[c])
        for code in wrong[:20]:
            self._report(
                "apportionment",
                index,
                f"draw {draw_ref} posts {posted[code]} fen on {code}; the plan, the areas and "
                f"the rounding rule give {expected[code]} fen",
            )
        if len(wrong) > 20:
            self._report(
                "apportionment", index, f"draw {draw_ref}: {len(wrong) - 20} more accounts differ"
            )

    def _covered(
        self,
        index: int,
        at: datetime | None,
        project: ProjectState,
        fund_after: int,
        ballots: Ballots,
        draw_ref: str,
    ) -> None:
        data = project.data
        self._public_income_allowed(index, at, project, ballots, draw_ref)
        if data.get("origin") == "emergency":
            record = self.emergencies.get(str(data.get("emergency")))
            if record is None:
                self._report("coverage", index, f"draw {draw_ref}: no emergency record covers it")
            else:
                record.draws += 1
            return
        ballot = ballots.by_ref.get(str(data.get("ballot")))
        position = data.get("question")
        question = None if ballot is None else ballot.questions.get(position)  # type: ignore[arg-type]
        if ballot is None or question is None:
            self._report("coverage", index, f"draw {draw_ref}: no decision covers it")
            return
        decision = ballot.decisions.get(position)  # type: ignore[arg-type]
        if at is None or not ballot.is_final_at(index, at):
            self._report(
                "coverage",
                index,
                f"draw {draw_ref}: ballot {ballot.ref} was not final when it posted",
            )
        if decision is None or not passed(decision):
            self._report(
                "coverage",
                index,
                f"draw {draw_ref}: ballot {ballot.ref} question {position} did not pass",
            )
        if set(project.units) != set(ballot.scope_units):
            self._report(
                "coverage", index, f"draw {draw_ref}: the decision's scope is not the project's"
            )
        allowed = int(
            ((question.get("use_plan") or {}).get("sources") or {}).get("maintenance_fund", 0)
        )
        if fund_after > allowed:
            self._report(
                "coverage",
                index,
                f"draw {draw_ref}: the project's maintenance-fund charges reach {fund_after} "
                f"fen, more than the {allowed} fen ballot {ballot.ref} allows",
            )

    def _public_income_allowed(
        self,
        index: int,
        at: datetime | None,
        project: ProjectState,
        ballots: Ballots,
        draw_ref: str,
    ) -> None:
        """A project narrower than the community that spends public income needs a final,
        passed community-wide decision allowing at least that share (``check_gate``)."""
        other = project.data.get("public_income_ballot_ref")
        if other is None:
            return
        allowing = ballots.by_ref.get(str(other))
        position = project.data.get("public_income_position")
        question = None if allowing is None else allowing.questions.get(position)  # type: ignore[arg-type]
        choice = None if allowing is None else allowing.decisions.get(position)  # type: ignore[arg-type]
        plan = ((question or {}).get("use_plan") or {}).get("sources") or {}
        if (
            allowing is None
            or choice is None
            or not passed(choice)
            or allowing.scope_kind != "community"
            or at is None
            or not allowing.is_final_at(index, at)
            or int(plan.get("public_income", 0)) < project.plan.get("public_income", 0)
        ):
            self._report(
                "coverage",
                index,
                f"draw {draw_ref}: no final, passed community-wide decision {other} allows "
                "its public income",
            )

    # -- the end -----------------------------------------------------------------------

    def publication(self, now: datetime | None) -> list[tuple[str, int, str, bool]]:
        """Each emergency's publication problem: (check, index, what, is_pending)."""
        out: list[tuple[str, int, str, bool]] = []
        for record in self.emergencies.values():
            if record.deadline is None:
                continue
            deadline = record.deadline.isoformat()
            if record.published_at is not None:
                if record.published_at > record.deadline:
                    out.append(
                        (
                            "emergency-publication",
                            record.index,
                            f"emergency {record.ref} was published after its deadline {deadline}",
                            False,
                        )
                    )
            elif now is not None and now <= record.deadline:
                out.append(
                    (
                        "emergency-publication",
                        record.index,
                        f"emergency {record.ref} is not yet published; its deadline is {deadline}",
                        True,
                    )
                )
            else:
                out.append(
                    (
                        "emergency-publication",
                        record.index,
                        f"emergency {record.ref} was not published by its deadline {deadline}",
                        False,
                    )
                )
        return out
