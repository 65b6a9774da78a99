"""The integrity self-check: ``fundvote log verify`` and the check tallying and publishing run
first. A table changed behind the service (``UPDATE cast_ballot SET choices = ...``) is named,
and the tally refuses instead of counting it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from click.testing import Result

from fundvote.integrity import verify_logs
from fundvote.runtime import Runtime
from notary.keys import rotate_key
from tests.services.voting.owner_helpers import (
    CODE,
    ROWS,
    issue_all,
    make_register,
    member_id_of,
    open_ballot,
    tokens_by_unit,
)
from voting import ballots
from voting.casting import cast_vote
from voting.errors import TablesDisagreeWithLog
from voting.models import Ballot, Decision, Vote
from voting.paper import enter_paper_ballot

Cli = Callable[..., Result]
SCAN = hashlib.sha256(b"paper form").hexdigest()


@dataclass
class Scene:
    ref: str
    vote_ids: dict[str, int]  # unit -> cast_ballot.id


def closed_ballot(runtime: Runtime) -> Scene:
    """A ballot with three online votes and one paper vote (keyed twice), then closed."""
    make_register(runtime)
    info = open_ballot(runtime)
    tokens = tokens_by_unit(issue_all(runtime, info.ref))
    runtime.run(cast_vote, token=tokens["1-101"], choices={1: "agree", 2: "agree"})
    runtime.run(cast_vote, token=tokens["1-102"], choices={1: "oppose", 2: "agree"})
    runtime.run(cast_vote, token=tokens["2-102"], choices={1: "agree", 2: "abstain"})
    member = member_id_of(runtime, info.ref, "1-103")
    for by in (11, 12):
        runtime.run(
            enter_paper_ballot,
            ballot_ref=info.ref,
            member_id=member,
            choices={1: "agree", 2: "oppose"},
            scan_sha256=SCAN,
            entered_by=by,
            is_committee=True,
        )
    runtime.clock.set(info.closes_at)  # type: ignore[attr-defined]
    runtime.run(ballots.close_ballot, ballot_ref=info.ref)
    vote_ids = {}
    for unit in ("1-101", "1-102", "2-102", "1-103"):
        member_id = member_id_of(runtime, info.ref, unit)
        with runtime.session_factory() as s:
            vote_ids[unit] = s.scalars(sa.select(Vote.id).where(Vote.member_id == member_id)).one()
    return Scene(info.ref, vote_ids)


def execute(runtime: Runtime, sql: str, **params: object) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def differences(runtime: Runtime) -> list[str]:
    return [d.text for r in runtime.query(verify_logs) for d in r.differences]


def test_a_clean_database_verifies_through_the_whole_lifecycle(cli: Cli, runtime: Runtime) -> None:
    scene = closed_ballot(runtime)
    assert differences(runtime) == []
    runtime.run(ballots.tally_ballot, ballot_ref=scene.ref)
    runtime.run(ballots.publish_ballot, ballot_ref=scene.ref, origin_prefix="fundvote.test")
    rotate_key(runtime.settings.signing_key_file, name=runtime.settings.key_name)
    runtime.clock.advance(days=8)  # type: ignore[attr-defined]
    runtime.run(ballots.finalize_ballot, ballot_ref=scene.ref)  # signed by the new key
    result = cli("log", "verify")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{CODE}: ") and line.endswith(": clean")
    assert " 1 ballots" in line
    assert cli("log", "verify", CODE).exit_code == 0


def test_a_changed_vote_is_named_and_the_tally_refuses(cli: Cli, runtime: Runtime) -> None:
    scene = closed_ballot(runtime)
    changed = scene.vote_ids["1-102"]
    execute(
        runtime,
        """UPDATE cast_ballot SET choices = '{"1": "agree", "2": "agree"}' WHERE id = :id""",
        id=changed,
    )
    result = cli("log", "verify", CODE)
    assert result.exit_code == 1
    assert f"{CODE}: cast_ballot id={changed}: choices: differs from log entry" in result.stdout
    assert "1 differences" in result.stdout
    for row in ROWS:  # no owner's name or phone in the report
        names, phones = row[5], row[6]
        assert not any(n in result.output for n in names)
        assert not any(p and p in result.output for p in phones)
    with pytest.raises(TablesDisagreeWithLog) as refused:
        runtime.run(ballots.tally_ballot, ballot_ref=scene.ref)
    assert f"cast_ballot id={changed} choices" in refused.value.text
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(Ballot.status).where(Ballot.ref == scene.ref)) == "closed"
        assert s.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("DELETE FROM cast_ballot WHERE id = :vote", "cast_ballot log_index="),
        ("UPDATE cast_ballot SET tracker = 'X' WHERE id = :vote", ": tracker: "),
        (
            "UPDATE cast_ballot SET member_id = (SELECT min(id) FROM roll_member "
            "WHERE id NOT IN (SELECT member_id FROM cast_ballot)) WHERE id = :vote",
            ": member_id: ",
        ),
        ("UPDATE roll_member SET area_centi = area_centi + 100", "roll_member ballot="),
        ("UPDATE ballot SET status = 'tallied'", ": status: tallied; the log: closed"),
        ("UPDATE ballot_question SET matter = 'other'", "ballot_question ref="),
        ("UPDATE ballot SET deemed_majority_enabled = TRUE", ": deemed_majority_enabled: "),
        ("UPDATE paper_entry SET status = 'void'", "paper_entry id="),
        ("UPDATE paper_entry SET choices = '{}'", ": choices: "),
    ],
)
def test_every_derived_table_is_checked(
    cli: Cli, runtime: Runtime, sql: str, expected: str
) -> None:
    scene = closed_ballot(runtime)
    execute(runtime, sql, vote=scene.vote_ids["1-101"])
    result = cli("log", "verify")
    assert result.exit_code == 1, result.output
    assert expected in result.stdout, result.stdout


def test_publishing_refuses_a_changed_decision(runtime: Runtime) -> None:
    scene = closed_ballot(runtime)
    runtime.run(ballots.tally_ballot, ballot_ref=scene.ref)
    execute(runtime, "UPDATE decision SET record = replace(record, 'true', 'false')")
    with pytest.raises(TablesDisagreeWithLog):
        runtime.run(ballots.publish_ballot, ballot_ref=scene.ref, origin_prefix="fundvote.test")
    assert any(": decision id=" in d and ": record: " in d for d in differences(runtime))


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "UPDATE log_entry SET body = replace(body, '\"oppose\"', '\"agree\"')",
            "log_entry idx=",
        ),
        ("UPDATE log_node SET hash = :zero WHERE level = 1 AND idx = 0", "log_node level=1 idx=0"),
        ("DELETE FROM log_node WHERE level = 0 AND idx = 1", "log_node level=0: row: 1 subtrees"),
        ("UPDATE log_head SET root = :zero", "log_head log=JB01: root"),
        (
            "UPDATE log_checkpoint SET note = replace(note, 'fundvote.test/JB01', 'x/JB01')",
            "log_checkpoint size=",
        ),
        ("UPDATE log_checkpoint SET root = :zero", ": size/root: "),
    ],
)
def test_the_log_itself_is_recomputed(cli: Cli, runtime: Runtime, sql: str, expected: str) -> None:
    closed_ballot(runtime)
    execute(runtime, sql, zero=bytes(32))
    result = cli("log", "verify", CODE)
    assert result.exit_code == 1, result.output
    assert expected in result.stdout, result.stdout


def test_a_changed_notice_root_is_named(cli: Cli, runtime: Runtime) -> None:
    scene = closed_ballot(runtime)
    runtime.run(ballots.tally_ballot, ballot_ref=scene.ref)
    runtime.run(ballots.publish_ballot, ballot_ref=scene.ref, origin_prefix="fundvote.test")
    assert cli("log", "verify").exit_code == 0
    execute(runtime, "UPDATE ballot SET notice_root = :root", root="00" * 32)
    result = cli("log", "verify")
    assert result.exit_code == 1
    assert f"ref={scene.ref}: notice_root: " in result.stdout


def test_a_rewritten_log_entry_body_also_stops_the_tally(runtime: Runtime) -> None:
    scene = closed_ballot(runtime)
    execute(runtime, "UPDATE log_entry SET body = replace(body, '\"oppose\"', '\"agree\"')")
    with pytest.raises(TablesDisagreeWithLog):
        runtime.run(ballots.tally_ballot, ballot_ref=scene.ref)


def test_bad_arguments_exit_2(cli: Cli, runtime: Runtime) -> None:
    make_register(runtime)
    unknown = cli("log", "verify", "NOSUCH")
    assert unknown.exit_code == 2
    assert unknown.stderr == "fundvote: There is no community NOSUCH.\n"
    assert cli("log", "verify", CODE, "extra").exit_code == 2
    empty = cli("log", "verify", CODE)  # a community whose log is still empty
    assert empty.exit_code == 0, empty.output
