"""``fundvote tally``: the legal count of an owner decision from a roll file and a ballots file.

Contract::

    fundvote tally ROLL.csv BALLOTS.csv --matter MATTER [--scope-buildings B1,B2]
                   [--deemed-majority] [--json]

The roll is read as ``fundvote apportion`` reads it (``estate.roll.parse_roll``); the ballots
file is ``unit,choice`` (see ``voting.ballot_file``). Members are grouped with
``voting.members.group_members`` over the units in scope. A scope narrower than the community
is allowed only for ``fund_use``. Bad input exits with status 2 after ONE line on stderr
naming the file and line (or the option); never a traceback.
"""

from __future__ import annotations

import json

import click

from estate.api import format_hundredths, parse_roll
from fundvote.cli.common import BALLOTS_FILE, fail, one_line, read_file, scope_rows, text_table
from fundvote.cli.speech import _, error_line
from notary.api import DomainError
from voting.api import (
    MATTER_KEYS,
    Choice,
    Figure,
    Matter,
    MatterUnknown,
    Tally,
    TallyResult,
    check_scope,
    group_members,
    holdings_from_roll,
    matter_by_key,
    parse_ballot_rows,
    resolve_ballots,
    tally,
)

_CHOICE_ZH = {Choice.AGREE: "同意", Choice.OPPOSE: "反对", Choice.ABSTAIN: "弃权"}


@click.command("tally")
@click.argument("roll")
@click.argument("ballots")
@click.option("--matter", help="The matter decided: " + ", ".join(MATTER_KEYS) + ".")
@click.option(
    "--scope-buildings",
    help="Comma-separated building codes (default: the whole community; fund_use only).",
)
@click.option(
    "--deemed-majority",
    is_flag=True,
    help="Also count non-voters with the majority of voters (a local rule; off by default).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a report.")
def tally_command(
    roll: str,
    ballots: str,
    matter: str | None,
    scope_buildings: str | None,
    deemed_majority: bool,
    as_json: bool,
) -> None:
    """Count the BALLOTS of an owner decision against ROLL (Civil Code art. 278).

    Quorum: members with >= 2/3 of the area and >= 2/3 of the heads take part. Approval,
    among those who took part: > 1/2 of area and heads (>= 3/4 for fund_raise, rebuild,
    change_use). A ballot names any unit of its member and covers all their units in scope.
    """
    the_matter = _matter(matter)
    rows, problems = parse_roll(read_file(roll), roll)
    if problems:
        fail(one_line(problems))
    in_scope = scope_rows(rows, scope_buildings, roll, "tally")
    whole = len(in_scope) == len(rows)
    try:
        check_scope(the_matter, is_whole_community=whole)
    except DomainError as exc:
        fail(f"fundvote tally: --scope-buildings: {error_line(exc)}")
    try:
        members = group_members(holdings_from_roll(in_scope))
    except DomainError as exc:
        fail(f"{roll}: {error_line(exc)}")
    ballot_rows, problems = parse_ballot_rows(read_file(ballots, BALLOTS_FILE), ballots)
    if problems:
        fail(one_line(problems))
    cast, problems = resolve_ballots(
        ballot_rows, members, roll_units={r.unit for r in rows}, filename=ballots
    )
    if problems:
        fail(one_line(problems))
    try:
        result = tally(members, cast, the_matter, deemed_majority=deemed_majority)
    except DomainError as exc:  # not reachable after the checks above; never a traceback
        fail(f"{ballots}: {error_line(exc)}")
    if as_json:
        click.echo(json.dumps(_json(result), ensure_ascii=False, indent=2))
    else:
        scope = (
            "全小区 whole community"
            if whole
            else "楼栋 buildings " + ", ".join(sorted({r.building for r in in_scope}))
        )
        click.echo(_report(the_matter, scope, result))


def _matter(key: str | None) -> Matter:
    if key is None:
        fail(
            _(
                "fundvote tally: --matter is required (one of: %(matters)s)",
                matters=", ".join(MATTER_KEYS),
            )
        )
    try:
        return matter_by_key(key)
    except MatterUnknown as exc:
        fail(f"fundvote tally: --matter: {error_line(exc)}")


def _figure(f: Figure) -> dict[str, object]:
    return {"heads": f.heads, "area": format_hundredths(f.area_centi)}


def _result_json(r: TallyResult) -> dict[str, object]:
    return {
        "roll": _figure(r.roll),
        "participated": _figure(r.participated),
        "agree": _figure(r.agree),
        "oppose": _figure(r.oppose),
        "abstain": _figure(r.abstain),
        "quorum_met": r.quorum_met,
        "approved": r.approved,
        "passed": r.passed,
    }


def _json(t: Tally) -> dict[str, object]:
    return {
        "matter": t.plain.matter,
        **_result_json(t.plain),
        "deemed_majority": None if t.deemed_majority is None else _result_json(t.deemed_majority),
    }


def _percent(part: int, total: int) -> str:
    """``part / total`` as a percentage with two decimals, rounded half up (display only)."""
    if total == 0:
        return "-"
    hundredths = (20000 * part + total) // (2 * total)
    return f"{format_hundredths(hundredths)}%"


def _met(value: bool | None) -> str:
    return "达到 met" if value else "未达到 not met"


def _figures(r: TallyResult) -> str:
    def row(label: str, f: Figure, of: Figure) -> list[str]:
        return [
            label,
            str(f.heads),
            _percent(f.heads, of.heads),
            format_hundredths(f.area_centi),
            _percent(f.area_centi, of.area_centi),
        ]

    body = [
        row("应参与 roll", r.roll, r.roll),
        row("已参与 took part", r.participated, r.roll),
        row("  同意 agree", r.agree, r.participated),
        row("  反对 oppose", r.oppose, r.participated),
        row("  弃权 abstain", r.abstain, r.participated),
        row("未参与 did not vote", r.non_voters, r.roll),
    ]
    table = text_table(["", "人数 heads", "%", "面积 area m²", "%"], body, right={1, 2, 3, 4})
    return table + "\n(同意/反对/弃权占已参与者 agree/oppose/abstain: % of those who took part)"


def _verdict(m: Matter, r: TallyResult) -> list[str]:
    if m.quorum is None or m.approval is None:
        return ["结果 outcome: 征求意见，无表决门槛 advisory: no threshold applies"]
    lines = [
        f"参与 quorum ({m.quorum.label} of the roll): 面积 area {_met(r.quorum_area_met)},"
        f" 人数 heads {_met(r.quorum_heads_met)}",
    ]
    if r.participated.heads == 0:
        lines.append("同意 approval: 无人参与 nobody took part")
    else:
        lines.append(
            f"同意 approval ({m.approval.label} of those who took part):"
            f" 面积 area {_met(r.approval_area_met)}, 人数 heads {_met(r.approval_heads_met)}"
        )
    if r.passed:
        lines.append("结果 outcome: 通过 PASSED")
    else:
        why = []
        if not r.quorum_met:
            why.append("参与不足 quorum not met")
        if not r.approved:
            why.append("同意不足 not approved")
        lines.append("结果 outcome: 未通过 NOT PASSED (" + "; ".join(why) + ")")
    return lines


def _report(m: Matter, scope: str, t: Tally) -> str:
    out = [
        f"表决事项 matter: {m.key} — {m.name_zh} ({m.name_en})",
        f"范围 scope: {scope}",
        "",
        _figures(t.plain),
        "",
        *_verdict(m, t.plain),
    ]
    d = t.deemed_majority
    if d is not None:
        counted = d.non_voters_counted_as
        assert counted is not None
        out += [
            "",
            "按规约“未参与表决的业主视为同意多数意见” under the local rule that non-voters follow"
            " the majority:",
            f"未参与者计为 non-voters counted as: {_CHOICE_ZH[counted]} {counted.value}",
            "",
            _figures(d),
            "",
            *_verdict(m, d),
            "",
            "本小区规约采用此规则，以此结果为准 (binding under the community's rules);"
            " 法院曾否定此类条款，法定计票结果见上 (courts have struck such clauses down:"
            " the plain count is above).",
        ]
    return "\n".join(out)
