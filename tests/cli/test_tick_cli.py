"""``fundvote tick``: signs a checkpoint of every log that grew, so every entry is covered
within a minute; a log that cannot be checkpointed fails the task (exit 1, with a reference)
without stopping the other logs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from click.testing import Result

from fundvote.runtime import Runtime
from fundvote.tick import TaskFailed, sign_due_checkpoints
from notary import store
from tests.services.voting.owner_helpers import (
    issue_all,
    make_register,
    open_ballot,
    tokens_by_unit,
)
from voting.casting import cast_vote

Cli = Callable[..., Result]


def covered(runtime: Runtime, code: str) -> bool:
    with runtime.session_factory() as s:
        latest = store.latest_checkpoint(s, code)
        return latest is not None and latest.size == store.tree_size(s, code)


def cast_one(runtime: Runtime, code: str) -> None:
    info = open_ballot(runtime, code=code)  # opening signs a checkpoint itself
    assert covered(runtime, code)
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-101"]
    runtime.run(cast_vote, token=token, choices={1: "agree", 2: "agree"})
    assert not covered(runtime, code)


def test_tick_covers_every_grown_log(cli: Cli, runtime: Runtime) -> None:
    for code in ("JB01", "JB02"):
        make_register(runtime, code)
        cast_one(runtime, code)
    result = cli("tick")
    assert (result.exit_code, result.stdout) == (
        0,
        "finality: 0 ballots final, 0 flagged\ncheckpoints: 2 logs checkpointed\n",
    )
    assert covered(runtime, "JB01") and covered(runtime, "JB02")
    again = cli("tick")
    assert (again.exit_code, again.stdout) == (
        0,
        "finality: 0 ballots final, 0 flagged\ncheckpoints: 0 logs checkpointed\n",
    )


def test_a_log_that_cannot_be_checkpointed_fails_the_task_not_the_others(
    cli: Cli, runtime: Runtime
) -> None:
    for code in ("JB01", "JB02"):
        make_register(runtime, code)
        cast_one(runtime, code)
    with runtime.engine.begin() as conn:  # JB01's head no longer extends its checkpoint
        conn.execute(sa.text("UPDATE log_head SET root = :z WHERE log = 'JB01'"), {"z": bytes(32)})
    result = cli("tick")
    assert result.exit_code == 1
    assert result.stderr.startswith("checkpoints: failed (reference ")
    assert "Traceback" not in result.output
    assert covered(runtime, "JB02") and not covered(runtime, "JB01")
    # The task's failure says how much failed, as a msgid with its values.
    with pytest.raises(TaskFailed) as failed:
        sign_due_checkpoints(runtime)
    assert str(failed.value) == "1 of 1 logs not checkpointed: JB01"
    assert failed.value.summary.params == {"failed": 1, "count": 1, "names": "JB01"}


def test_tick_records_a_ballot_that_became_final(cli: Cli, runtime: Runtime) -> None:
    from tests.services.voting.ballot_helpers import ORIGIN, draft, log, run_to_tallied
    from tests.services.voting.ballot_helpers import make_register as make_full_register
    from tests.services.voting.test_publication import VOTES
    from voting import api as voting
    from voting import ballots

    make_full_register(runtime)
    info = draft(runtime)
    run_to_tallied(runtime, info, VOTES)
    runtime.run(ballots.publish_ballot, ballot_ref=info.ref, origin_prefix=ORIGIN)
    # The command runs on the real clock: the fixed test clock's publication (November 2026)
    # plus 7 days is in its past, so the tick finds the ballot final (the service test of
    # voting.finality moves the fake clock across the period's end to the second).
    result = cli("tick")
    assert result.exit_code == 0
    # finalizing signs a checkpoint of its own entry, so no log is left to cover
    assert (
        result.stdout == "finality: 1 ballot final, 0 flagged\ncheckpoints: 0 logs checkpointed\n"
    )
    stored = runtime.query(voting.ballot_by_ref, info.ref)
    assert (stored.status, stored.recorded_status) == ("final", "final")
    assert log(runtime)[-1]["type"] == "voting.ballot_final"
    assert covered(runtime, "JB01")
