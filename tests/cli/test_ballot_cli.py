"""``fundvote ballot list|step``: the lifecycle steps the pages and the API take, from a shell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import Result

from fundvote import auth
from fundvote.runtime import Runtime
from tests.services.voting.ballot_helpers import draft, make_register


def _ready(runtime: Runtime) -> str:
    make_register(runtime)
    runtime.run(
        auth.add_user, username="chair", password="a long enough password", role="committee",
        communities=["JB01"],
    )  # fmt: skip
    runtime.run(
        auth.add_user, username="stranger", password="a long enough password", role="manager",
        communities=["JB01"],
    )  # fmt: skip
    now = datetime.now(UTC)  # the command runs on the system clock
    return draft(runtime, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7)).ref


def test_open_then_list(cli, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    ref = _ready(runtime)
    r: Result = cli("ballot", "step", "open", ref, "--by", "chair")
    assert (r.exit_code, r.stdout) == (0, f"ballot {ref}: open\n")
    listed = cli("ballot", "list", "JB01")
    assert listed.exit_code == 0 and listed.stdout.startswith(f"{ref}  open ")


def test_refusals_are_one_line(cli, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    ref = _ready(runtime)
    cli("ballot", "step", "open", ref, "--by", "chair")
    early = cli("ballot", "step", "close", ref, "--by", "chair")
    assert early.exit_code == 2 and early.stderr.count("\n") == 1
    assert early.stderr.startswith("fundvote: ")
    who = cli("ballot", "step", "close", ref, "--by", "stranger")
    assert who.exit_code == 2 and "not an active committee member" in who.stderr
    why = cli("ballot", "step", "cancel", ref, "--by", "chair")
    assert why.exit_code == 2 and "--reason is required" in why.stderr
    unknown = cli("ballot", "step", "open", "NOSUCHREF", "--by", "chair")
    assert unknown.exit_code == 2 and "Traceback" not in unknown.stderr
    done = cli("ballot", "step", "cancel", ref, "--by", "chair", "--reason", "重新起草")
    assert (done.exit_code, done.stdout) == (0, f"ballot {ref}: cancelled\n")
