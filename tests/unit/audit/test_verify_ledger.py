"""The ledger checks of the offline verifier on hand-built logs: worked examples of a clean
history and of each thing it must catch (amounts computed by hand in the comments)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from audit.verify_ledger import LedgerCheck
from tests.unit.audit.ledger_log import (
    CLEAN_DRAW,
    SOURCES0,
    Log,
    bundle,
    community,
    decided_ballot,
    draw,
    project,
    run,
    stamp,
)


def checks(check: LedgerCheck) -> list[str]:
    return sorted(f.check for f in check.findings())


def clean_history() -> Log:
    """Deposits A-01 100,000, A-02 50,000, B-01 80,000 (areas 6000/4000/5000); interest,
    public income moved into the fund, a decided project over building A and its draw."""
    log = Log()
    community(log)
    log.post("public_income", "2024-01-05", ("1002", 3_000), ("4101", -3_000))
    # Interest 100 fen for 2024-01-01..10: products 1,000,000 / 500,000 / 800,000 (10:5:8),
    # quotas 43.48 / 21.74 / 34.78: floors 43+21+34 = 98, the 2 fen left go to the largest
    # remainders (B-01 .78, A-02 .74).
    log.post(
        "interest",
        "2024-01-10",
        ("1001", 100),
        ("2101.A-01", -43),
        ("2101.A-02", -22),
        ("2101.B-01", -35),
        documents={"period": "2024-01-01/2024-01-10"},
    )
    # 3,000 fen of public income by area 6000:4000:5000 = 1200 / 800 / 1000.
    log.post(
        "public_income_transfer",
        "2024-01-20",
        ("3101", 3_000),
        ("2101.A-01", -1_200),
        ("2101.A-02", -800),
        ("2101.B-01", -1_000),
        ("1001", 3_000),
        ("1002", -3_000),
        documents={"decision": "committee 2024-1"},
    )
    decided_ballot(log)
    project(log)
    # 20,000 fen: half subsidy, half the fund; the fund's 10,000 by area 6000:4000.
    number = draw(log, "d1", 20_000, *CLEAN_DRAW)
    log.add("ledger.draw_posted", posted_event(number))
    return log


def posted_event(entry: int, **changes: object) -> dict[str, object]:
    return {
        "draw": "d1",
        "project": "p1",
        "entry": entry,
        "via": "authority",
        "fund_bank_retention_fen": 0,
        "project_bank_retention_fen": 0,
        "shortfall_fen": 0,
        **changes,
    }


def test_a_draw_posted_event_must_match_its_entry() -> None:
    log = clean_history()
    log.entries[-1]["data"] = posted_event(8, shortfall_fen=5)
    assert [f.what for f in run(log).findings()] == [
        "draw d1: the posting event does not match its journal entry"
    ]


def test_a_clean_history_has_no_finding() -> None:
    check = run(clean_history())
    assert check.findings() == []
    assert check.pending() == [] and check.notes() == []
    assert check.journal_entries == 8


def test_staged_draws_apportion_the_cumulative_amount() -> None:
    log = Log()
    community(log)
    decided_ballot(log)
    project(log)
    # Stage 1, 3 fen: sources 1.5/1.5 -> the tie goes to subsidy (2), the fund 1; the fund's
    # 1 fen by area 0.6/0.4 -> A-01.
    draw(log, "d1", 3, ("2301", 2), ("2101.A-01", 1), ("1003", -2), ("1001", -1), stage="advance")
    # Stage 2 brings the total to 20,000: subsidy 10,000 - 2, the fund 10,000 - 1, whose
    # units' totals are 6,000 / 4,000: A-01 gets 5,999 more, A-02 4,000.
    draw(
        log,
        "d2",
        19_997,
        ("2301", 9_998),
        ("2101.A-01", 5_999),
        ("2101.A-02", 4_000),
        ("1003", -9_998),
        ("1001", -9_999),
    )
    assert run(log).findings() == []


def test_retention_stays_where_it_was_paid_from_and_is_released_from_there() -> None:
    log = Log()
    community(log)
    decided_ballot(log)
    project(log)
    # 1,000 fen retained of a payment the fund and the project bank pay 10,000 each: 500 stay
    # in each bank account (the tie goes to the fund bank, but the split is exact).
    draw(
        log,
        "d1",
        20_000,
        ("2301", 10_000),
        ("2101.A-01", 6_000),
        ("2101.A-02", 4_000),
        ("1003", -9_500),
        ("1001", -9_500),
        ("2202", -1_000),
        retention=1_000,
    )
    release = (("2202", 1_000), ("1001", -500), ("1003", -500))
    draw(log, "d2", 0, *release, stage="retention_release", retention=1_000)
    assert run(log).findings() == []
    draw(log, "d3", 0, *release, stage="retention_release", retention=1_000)
    found = run(log).findings()
    assert [f.check for f in found] == ["coverage", "overdraft"]
    assert "exceeds the 0.00 yuan of retention held" in found[0].what
    assert found[1].what == "entry 7 overdraws account 1003 by 500 fen"


def test_an_unbalanced_entry_is_found() -> None:
    log = clean_history()
    log.post("adjustment", "2024-04-01", ("1001", 5), ("2101.A-01", -4))
    check = run(log)
    journal = [f for f in check.findings() if f.check == "journal"]
    assert len(journal) == 1 and "do not balance" in journal[0].what
    assert journal[0].where == f"log/entries.jsonl:{len(log.entries)}"
    assert "balance" in checks(check)  # the trial balance no longer sums to zero


def test_a_single_posting_and_a_fractional_amount_are_found() -> None:
    log = clean_history()
    log.post("adjustment", "2024-04-01", ("1001", 5))
    log.post("adjustment", "2024-04-01", ("1001", 1.5), ("2101.A-01", -1.5))  # type: ignore[arg-type]
    whats = [f.what for f in run(log).findings() if f.check == "journal"]
    assert any("at least two postings" in w for w in whats)
    assert any("not whole fen" in w for w in whats)


def test_an_overdraft_is_found_once() -> None:
    log = clean_history()
    # B-01 holds 80,000 + 35 + 1,000 = 81,035; taking 90,000 overdraws it by 8,965.
    log.post("adjustment", "2024-04-01", ("2101.B-01", 90_000), ("1001", -90_000))
    log.post("adjustment", "2024-04-02", ("2101.B-01", 1), ("1001", -1))
    found = [f for f in run(log).findings() if f.check == "overdraft"]
    assert [f.what for f in found] == ["entry 9 overdraws account 2101.B-01 by 8965 fen"]


def test_a_draw_without_a_final_decision_is_not_covered() -> None:
    log = Log()
    community(log)
    decided_ballot(log, final=False)
    project(log)
    draw(log, "d1", 20_000, *CLEAN_DRAW)
    found = run(log).findings()
    assert [f.check for f in found] == ["coverage"]
    assert "was not final" in found[0].what


def test_a_decision_is_final_once_every_objection_is_answered_and_none_upheld() -> None:
    def history(upheld: bool | None) -> Log:
        log = Log()
        community(log)
        decided_ballot(log, final=False)
        ends = log.at + timedelta(days=7)
        log.add("voting.ballot_published", {"ballot": "b1", "publicity": {"ends_at": stamp(ends)}})
        log.add("voting.objection_lodged", {"ballot": "b1", "objection": 7})
        if upheld is not None:
            log.add("voting.objection_answered", {"ballot": "b1", "objection": 7, "upheld": upheld})
        log.at = ends + timedelta(days=1)  # past the publicity period, no tick logged yet
        project(log)
        draw(log, "d1", 20_000, *CLEAN_DRAW)
        return log

    assert run(history(upheld=False)).findings() == []
    for upheld in (None, True):
        found = run(history(upheld)).findings()
        assert [f.what for f in found] == ["draw d1: ballot b1 was not final when it posted"]


def test_a_draw_charging_money_not_received_is_not_covered() -> None:
    log = Log()
    community(log)
    decided_ballot(log)
    project(log, subsidy=4_000)  # 4,000 of the subsidy's 10,000 received
    log.add("ledger.funding_probe", {})  # an unknown event is ignored
    log.post("adjustment", "2024-02-02", ("1003", 6_000), ("2101.B-01", -6_000))
    draw(log, "d1", 20_000, *CLEAN_DRAW)
    whats = [f.what for f in run(log).findings()]
    assert whats == [
        "draw d1 charges subsidy 10000 fen in all, more than the 4000 fen received for the project"
    ]


def public_income_history(allowed: int) -> Log:
    """Building A's project spends 2,000 fen of public income, which the community-wide
    ballot b0 allows up to ``allowed`` fen."""
    log = Log()
    community(log)
    plan = {"budget_fen": 4_000, "sources": {**SOURCES0, "public_income": 2_000, "subsidy": 2_000}}
    for ref, scope, use in (
        ("b0", {"kind": "community", "codes": []}, {**SOURCES0, "public_income": allowed}),
        ("b1", {"kind": "buildings", "codes": ["A"]}, plan["sources"]),
    ):
        log.add(
            "voting.ballot_opened",
            {
                "ballot": ref,
                "content": {
                    "questions": [
                        {"matter": "fund_use", "position": 1, "use_plan": {"sources": use}}
                    ]
                },
                "scope": scope,
            },
        )
        log.add(
            "voting.decision_recorded",
            {"ballot": ref, "question": 1, "binding": "plain", "plain": {"passed": True}},
        )
        log.add("voting.ballot_final", {"ballot": ref})
    log.add(
        "ledger.project_opened",
        {
            "project": "p1",
            "origin": "decision",
            "ballot": "b1",
            "question": 1,
            "budget_fen": 4_000,
            "sources": plan["sources"],
            "units": {"A-01": 6000, "A-02": 4000},
            "public_income_ballot_ref": "b0",
            "public_income_position": 1,
        },
    )
    log.post("public_income", "2024-02-01", ("1002", 2_000), ("4101", -2_000))
    for source, account in (("subsidy", "2301"), ("public_income", "2304")):
        lines = [("1003", 2_000), (account, -2_000)]
        if source == "public_income":
            lines += [("1002", -2_000), ("3101", 2_000)]
        log.post("project_funding", "2024-02-02", *lines, documents={"project": "p1"})
    draw(log, "d1", 4_000, ("2301", 2_000), ("2304", 2_000), ("1003", -4_000))
    return log


def test_public_income_of_a_narrower_project_needs_a_community_decision_allowing_it() -> None:
    assert run(public_income_history(allowed=2_000)).findings() == []
    assert [f.what for f in run(public_income_history(allowed=1_999)).findings()] == [
        "draw d1: no final, passed community-wide decision b0 allows its public income"
    ]


def test_a_draw_beyond_the_decided_fund_amount_is_not_covered() -> None:
    log = Log()
    community(log)
    decided_ballot(log, mf=5_000)  # owners allowed 5,000 fen from the fund
    project(log, mf=10_000)  # the project claims 10,000
    draw(log, "d1", 20_000, *CLEAN_DRAW)
    whats = [f.what for f in run(log).findings() if f.check == "coverage"]
    assert any("not the decided use plan" in w for w in whats)
    assert any("reach 10000 fen, more than the 5000 fen" in w for w in whats)


def test_a_project_wider_than_its_ballot_is_not_covered() -> None:
    log = Log()
    community(log)
    decided_ballot(log)
    log.add(
        "ledger.project_opened",
        {
            "project": "p1",
            "origin": "decision",
            "ballot": "b1",
            "question": 1,
            "budget_fen": 20_000,
            "sources": {**SOURCES0, "maintenance_fund": 10_000, "subsidy": 10_000},
            "units": {"A-01": 6000, "A-02": 4000, "B-01": 5000},
        },
    )
    whats = [f.what for f in run(log).findings() if f.check == "coverage"]
    assert whats == ["project p1 covers 3 units, its ballot's scope 2"]


def test_a_draw_posted_twice_is_found() -> None:
    log = Log()
    community(log)
    decided_ballot(log)
    project(log, mf=30_000)
    draw(log, "d1", 20_000, ("2301", 5_000), ("2101.A-01", 9_000), ("2101.A-02", 6_000),
         ("1003", -5_000), ("1001", -15_000))  # fmt: skip
    log.post(
        "draw",
        "2024-03-01",
        *(("2301", 5_000), ("2101.A-01", 9_000), ("2101.A-02", 6_000)),
        *(("1003", -5_000), ("1001", -15_000)),
        documents={"project": "p1", "draw": "d1"},
    )
    whats = [f.what for f in run(log).findings()]
    assert "draw d1 is posted a second time" in whats


def test_a_wrong_apportionment_by_one_fen_is_found() -> None:
    log = Log()
    community(log)
    decided_ballot(log)
    project(log)
    wrong = [
        (c, a + (1 if c == "2101.A-01" else -1 if c == "2101.A-02" else 0)) for c, a in CLEAN_DRAW
    ]
    draw(log, "d1", 20_000, *wrong)
    found = run(log).findings()
    assert {f.check for f in found} == {"apportionment"}
    assert sorted(f.what for f in found) == [
        "draw d1 posts 3999 fen on 2101.A-02; the plan, the areas and the rounding rule give "
        "4000 fen",
        "draw d1 posts 6001 fen on 2101.A-01; the plan, the areas and the rounding rule give "
        "6000 fen",
    ]


def test_a_wrong_transfer_or_interest_split_is_found() -> None:
    log = Log()
    community(log)
    log.post("public_income", "2024-01-05", ("1002", 3_000), ("4101", -3_000))
    log.post(
        "public_income_transfer",
        "2024-01-20",
        ("3101", 3_000),
        ("2101.A-01", -1_201),
        ("2101.A-02", -799),
        ("2101.B-01", -1_000),
        ("1001", 3_000),
        ("1002", -3_000),
    )
    log.post(
        "interest",
        "2024-01-10",
        ("1001", 100),
        ("2101.A-01", -44),
        ("2101.A-02", -21),
        ("2101.B-01", -35),
        documents={"period": "2024-01-01/2024-01-10"},
    )
    whats = sorted(f.what for f in run(log).findings())
    assert whats == [
        "interest entry 6 credits unit A-01 44 fen; the rule gives 43 fen",
        "interest entry 6 credits unit A-02 21 fen; the rule gives 22 fen",
        "public income transfer 5 credits unit A-01 1201 fen; the rule gives 1200 fen",
        "public income transfer 5 credits unit A-02 799 fen; the rule gives 800 fen",
    ]


def emergency_history(
    *, published_after: timedelta | None, days: int = 30, setting: int | None = None
) -> Log:
    log = Log()
    community(log)
    if setting is not None:
        log.add(
            "estate.settings_changed",
            {
                "kind": "rules",
                "old": {"emergency_publish_days": 30},
                "new": {"emergency_publish_days": setting},
            },
        )
    recorded = log.at + timedelta(hours=1)
    log.add(
        "ledger.emergency_recorded",
        {
            "emergency": "e1",
            "category": "roof_leak",
            "evidence_sha256": "ab" * 32,
            "scope_kind": "buildings",
            "scope_codes": ["A"],
            "units": 2,
            "publish_deadline": (recorded + timedelta(days=days)).isoformat(),
        },
        at=recorded,
    )
    log.add(
        "ledger.project_opened",
        {
            "project": "p2",
            "origin": "emergency",
            "emergency": "e1",
            "budget_fen": 5_000,
            "sources": {**SOURCES0, "maintenance_fund": 5_000},
            "units": {"A-01": 6000, "A-02": 4000},
        },
    )
    draw(
        log,
        "d9",
        5_000,
        ("2101.A-01", 3_000),
        ("2101.A-02", 2_000),
        ("1001", -5_000),
        project_ref="p2",
    )
    if published_after is not None:
        log.add(
            "ledger.emergency_published",
            {
                "emergency": "e1",
                "project": "p2",
                "is_late": published_after > timedelta(days=days),
                "drawn_fen": 5_000,
                "sources": {**SOURCES0, "maintenance_fund": 5_000},
                "units": {"A-01": [3_000, 0], "A-02": [2_000, 0]},
            },
            at=recorded + published_after,
        )
    return log


def test_an_emergency_before_its_deadline_is_pending() -> None:
    log = emergency_history(published_after=None)
    check = run(log)  # judged at the last entry's time, days before the deadline
    assert check.findings() == []
    assert [f.check for f in check.pending()] == ["emergency-publication"]
    assert check.pending()[0].where == "log/entries.jsonl:6"


def test_an_emergency_past_its_deadline_unpublished_is_a_finding() -> None:
    log = emergency_history(published_after=None)
    later = (log.at + timedelta(days=31)).replace(tzinfo=None)  # read as UTC
    check = run(log, as_of=later)
    assert check.pending() == []
    deadline = log.entries[5]["data"]["publish_deadline"]
    assert [f.what for f in check.findings()] == [
        f"emergency e1 was not published by its deadline {deadline}"
    ]


def test_an_emergency_published_late_or_in_time() -> None:
    late = run(emergency_history(published_after=timedelta(days=31)))
    assert [f.check for f in late.findings()] == ["emergency-publication"]
    in_time = run(emergency_history(published_after=timedelta(days=29)))
    assert in_time.findings() == [] and in_time.pending() == []


def test_an_emergency_published_with_other_costs_than_the_books_is_found() -> None:
    log = emergency_history(published_after=timedelta(days=3))
    log.entries[-1]["data"]["units"]["A-01"] = [2_999, 0]
    assert [f.what for f in run(log).findings()] == [
        "emergency e1: the costs published are not what the draws charged"
    ]


def test_an_emergency_project_wider_than_the_record_is_found() -> None:
    log = emergency_history(published_after=timedelta(days=3))
    opened = next(e for e in log.entries if e["type"] == "ledger.project_opened")
    opened["data"]["units"]["B-01"] = 5000
    whats = [f.what for f in run(log).findings()]
    assert "project p2 is not the scope of emergency e1" in whats


def test_an_emergency_deadline_follows_the_community_setting() -> None:
    shortened = run(emergency_history(published_after=timedelta(days=5), days=10, setting=10))
    assert shortened.findings() == []
    stretched = run(emergency_history(published_after=timedelta(days=20), days=30, setting=10))
    assert [f.what for f in stretched.findings()] == [
        "emergency e1: its deadline is not 10 days after its record, as the community's "
        "setting says"
    ]


def test_the_creation_entry_states_the_publication_period() -> None:
    """No setting change needed: the period stated when the community was created holds."""
    log = emergency_history(published_after=timedelta(days=20), days=30)
    assert log.entries[0]["type"] == "estate.community_created"
    log.entries[0]["data"]["settings"] = {"emergency_publish_days": 10}
    assert [f.what for f in run(log).findings()] == [
        "emergency e1: its deadline is not 10 days after its record, as the community's "
        "setting says"
    ]
    log.entries[0]["data"]["settings"] = {"emergency_publish_days": 30}
    assert run(log).findings() == []


def test_a_tampered_trial_balance_is_found() -> None:
    log = clean_history()
    files = bundle(log)
    text = files["ledger/trial_balance.csv"].decode().splitlines()
    line = next(n for n, row in enumerate(text) if row.startswith("1001,"))
    code, debit, credit, balance = text[line].split(",")
    text[line] = f"{code},{int(debit) + 1},{credit},{int(balance) + 1}"
    files["ledger/trial_balance.csv"] = ("\n".join(text) + "\n").encode()
    found = run(log, files).findings()
    assert [(f.check, f.where) for f in found] == [
        ("trial-balance", f"ledger/trial_balance.csv:{line + 1}"),
        ("balance", "ledger/trial_balance.csv"),
    ]


def test_an_unreadable_or_missing_trial_balance_is_found() -> None:
    log = clean_history()
    files = {**bundle(log), "ledger/trial_balance.csv": b"\xff\xfe\x00c"}
    whats = [f.what for f in run(log, files).findings()]
    assert whats[0] == "the file is not a readable CSV table"
    assert "account 1001 is missing" in whats
    del files["ledger/trial_balance.csv"]
    assert [f.what for f in run(log, files).findings()] == ["the bundle has no trial balance"]


def test_the_trial_balance_is_taken_at_the_period_end() -> None:
    log = clean_history()
    log.post("adjustment", "2024-06-01", ("1001", 7), ("2101.A-01", -7))
    assert run(log, bundle(log, period_to="2024-05-31")).findings() == []
    # Files of the whole log in a bundle whose period ends on 05-31.
    files = {**bundle(log), "manifest.json": bundle(log, "2024-05-31")["manifest.json"]}
    found = run(log, files).findings()
    assert sorted((f.check, f.what.split(":")[0]) for f in found) == [
        ("journal", "entry 9 is outside the period"),
        ("trial-balance", "account 1001"),
        ("trial-balance", "account 2101.A-01"),
    ]


def test_a_tampered_or_missing_journal_line_is_found() -> None:
    log = clean_history()
    files = bundle(log)
    lines = files["ledger/entries.jsonl"].decode().splitlines()
    row = json.loads(lines[1])
    row["memo"] = "changed"
    lines[1] = json.dumps(row)
    del lines[2]
    files["ledger/entries.jsonl"] = ("\n".join(lines) + "\n").encode()
    found = run(log, files).findings()
    assert [(f.check, f.where) for f in found] == [
        ("journal", "ledger/entries.jsonl:2"),
        ("journal", "ledger/entries.jsonl"),
    ]
    assert "missing" in found[1].what


def test_reversals_name_an_earlier_entry_once_with_the_opposite_postings() -> None:
    log = clean_history()
    log.post("adjustment", "2024-04-01", ("1001", 10), ("2101.A-01", -10))  # entry 9
    log.post("reversal", "2024-04-02", ("1001", -10), ("2101.A-01", 10), reverses=9)
    assert run(log).findings() == []
    log.post("reversal", "2024-04-02", ("1001", -10), ("2101.A-01", 10), reverses=9)
    log.post("reversal", "2024-04-02", ("1001", -10), ("2101.A-01", 10), reverses=99)
    log.post("reversal", "2024-04-02", ("1001", -1), ("2101.A-01", 1), reverses=1)
    whats = [f.what for f in run(log).findings()]
    assert whats == [
        "entry 11 reverses entry 9 a second time",
        "entry 12 reverses entry 99, not an earlier entry",
        "entry 13 is not the exact opposite of entry 1",
    ]


def test_an_account_outside_the_chart_is_found_unless_listed() -> None:
    log = clean_history()
    log.post("adjustment", "2024-04-01", ("1001", 10), ("2999", -10))
    assert [f.what for f in run(log).findings()] == ["account 2999 is not in the chart"]
    files = bundle(log)
    files["ledger/accounts.csv"] += b"2999,liability,maintenance,,x,x\n"
    assert run(log, files).findings() == []


def test_a_legacy_entry_is_noted_with_its_file_hash() -> None:
    log = clean_history()
    log.post("legacy", "2023-12-31", ("1001", 10), ("2101.A-01", -10), legacy="cd" * 32)
    check = run(log)
    assert check.findings() == []
    assert [(n.where, n.file_sha256) for n in check.notes()] == [
        (f"log/entries.jsonl:{len(log.entries)}", "cd" * 32)
    ]


def a02_statement() -> dict[str, object]:
    """A-02's 2024 statement: deposit 50,000, interest 22, public income 800, draw 4,000."""
    lines = [
        ("2024-01-01", 2, "deposit", 50_000, 50_000),
        ("2024-01-10", 5, "interest", 22, 50_022),
        ("2024-01-20", 6, "public_income_transfer", 800, 50_822),
        ("2024-03-01", 8, "draw", -4_000, 46_822),
    ]
    return {
        "version": 1,
        "community": "c",
        "unit": "A-02",
        "start": "2024-01-01",
        "end": "2024-12-31",
        "opening_fen": 0,
        "lines": [
            {
                "value_date": d,
                "entry": e,
                "kind": k,
                "memo": "",
                "amount_fen": a,
                "running_fen": r,
            }
            for d, e, k, a, r in lines
        ],
        "closing_fen": 46_822,
        "owed_fen": 0,
    }


def test_an_owner_statement_equal_to_the_log_passes_and_a_changed_one_does_not() -> None:
    log = clean_history()
    assert run(log, statement=a02_statement()).findings() == []
    changed = a02_statement()
    changed["lines"][3]["amount_fen"] = -3_999  # type: ignore[index]
    changed["closing_fen"] = 46_823
    found = run(log, statement=changed).findings()
    assert [(f.check, f.where) for f in found] == [
        ("statement", "statement:lines[3]"),
        ("statement", "statement:closing_fen"),
    ]


def test_a_malformed_entry_is_a_finding_not_a_crash() -> None:
    log = clean_history()
    log.add("ledger.entry_posted", {"entry": "x", "postings": 3})
    log.add("ledger.project_opened", {"project": "p9"})
    found = run(log).findings()
    assert sorted(f.check for f in found) == ["coverage", "journal"]


def test_an_unreadable_interest_period_still_moves_the_balances() -> None:
    log = clean_history()
    log.post(
        "interest",
        "2024-06-30",
        ("1001", 10),
        ("2101.A-01", -10),
        documents={"period": "2024-13-01/2024-06-30"},
    )
    found = run(log).findings()  # the trial balance still agrees: the entry was posted
    assert [(f.check, f.what) for f in found] == [
        ("apportionment", "entry 9: what it apportions cannot be read (ValueError)")
    ]


def test_the_ledger_checks_import_no_database_library() -> None:
    code = (
        "import sys, audit.verify_ledger; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'flask', 'marshmallow', 'alembic')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_shortfall_is_settled_at_most_once_and_only_against_the_payable() -> None:
    log = clean_history()
    # A-01's owner owes 500 fen: its receivable against the contractor payable.
    log.post("adjustment", "2024-05-01", ("1202.A-01", 500), ("2201", -500))
    log.post("shortfall_settlement", "2024-05-02", ("2201", 300), ("1202.A-01", -300))
    assert run(log).findings() == []
    # 200 fen are left; 300 more settles 100 fen that nobody owed.
    log.post("shortfall_settlement", "2024-05-03", ("2201", 300), ("1202.A-01", -300))
    # Money out of the bank is not a settlement.
    log.post("shortfall_settlement", "2024-05-04", ("2201", 100), ("1001", -100))
    assert [(f.check, f.what) for f in run(log).findings()] == [
        ("overdraft", "entry 11 settles 300 fen on 1202.A-01, more than the 200 fen owed"),
        (
            "journal",
            "entry 12: a shortfall settlement must debit 2201 and credit one unit's receivable",
        ),
    ]
