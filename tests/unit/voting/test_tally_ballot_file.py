"""The ballots file of ``fundvote tally``: parsing and resolving units to members."""

from __future__ import annotations

from estate.roll import format_problem
from estate.tables import write_table
from voting.ballot_file import BallotRow, parse_ballot_rows, resolve_ballots
from voting.members import UnitHolding, group_members
from voting.tally import Ballot, Choice

MEMBERS = group_members(
    [
        UnitHolding("A1", 100, ["w"]),
        UnitHolding("A2", 100, ["w"]),
        UnitHolding("B1", 100, ["z"]),
        UnitHolding("D1", 100, [], is_developer_held=True),
    ]
)


def problems_of(text: str) -> list[str]:
    rows, problems = parse_ballot_rows(text.encode(), "b.csv")
    assert rows == [] or not problems
    return [format_problem(p) for p in problems]


def test_rows_are_trimmed_and_the_header_is_case_insensitive() -> None:
    rows, problems = parse_ballot_rows(
        "\ufeff Unit , CHOICE\nA1, agree \n\nB1,abstain\n".encode(), "b.csv"
    )
    assert problems == []
    assert rows == [BallotRow(2, "A1", Choice.AGREE), BallotRow(4, "B1", Choice.ABSTAIN)]


def test_header_only_means_nobody_voted() -> None:
    assert parse_ballot_rows(b"unit,choice\n", "b.csv") == ([], [])


def test_bad_rows_are_all_named_in_line_order() -> None:
    assert problems_of("unit,choice\nA1,yes\n,agree\nB1,\nA2,Agree\nB1,agree,x\n") == [
        "b.csv:2: choice: 'yes' is not a choice; expected agree, oppose or abstain",
        "b.csv:3: unit: the unit code is missing",
        "b.csv:4: choice: the choice is missing",
        "b.csv:5: choice: 'Agree' is not a choice; expected agree, oppose or abstain",
        "b.csv:6: the row has 3 cells but the header has 2",
    ]


def test_bad_headers() -> None:
    assert problems_of("unit,vote\nA1,agree\n") == [
        "b.csv:1: missing column: choice (the header must be unit,choice)",
        "b.csv:1: unknown column: vote",
    ]
    assert problems_of("unit,choice,unit\n") == ["b.csv:1: repeated column: unit"]
    assert problems_of("") == ["b.csv:1: the file is empty: expected the header unit,choice"]
    _rows, problems = parse_ballot_rows(b"unit,choice\n\xff,agree\n", "b.csv")
    assert [format_problem(p) for p in problems] == [
        "b.csv:2: the file is not UTF-8 text (bad byte at offset 12): save it as CSV in UTF-8"
    ]


def test_xlsx_is_read_too() -> None:
    data = write_table(["unit", "choice"], [["A1", "oppose"]], "xlsx")
    assert parse_ballot_rows(data, "b.xlsx") == ([BallotRow(2, "A1", Choice.OPPOSE)], [])


def test_any_unit_of_a_member_casts_that_members_ballot() -> None:
    rows = [BallotRow(3, "A2", Choice.AGREE), BallotRow(2, "D1", Choice.OPPOSE)]
    ballots, problems = resolve_ballots(
        rows, MEMBERS, roll_units={"A1", "A2", "B1", "D1"}, filename="b.csv"
    )
    assert problems == []
    assert ballots == [Ballot("developer", "oppose"), Ballot("owners:w", "agree")]


def test_second_ballots_and_foreign_units_are_named() -> None:
    rows = [
        BallotRow(2, "A1", Choice.AGREE),
        BallotRow(3, "A2", Choice.OPPOSE),
        BallotRow(4, "A1", Choice.AGREE),
        BallotRow(5, "C9", Choice.AGREE),
        BallotRow(6, "X1", Choice.AGREE),
    ]
    ballots, problems = resolve_ballots(
        rows, MEMBERS, roll_units={"A1", "A2", "B1", "D1", "X1"}, filename="b.csv"
    )
    assert ballots == []
    assert [format_problem(p) for p in problems] == [
        "b.csv:3: unit: unit 'A2' belongs to the member who already voted with unit 'A1' on line 2",
        "b.csv:4: unit: unit 'A1' already voted on line 2",
        "b.csv:5: unit: unit 'C9' is not in the roll",
        "b.csv:6: unit: unit 'X1' is not in the ballot's scope",
    ]
