"""The public receipt check: ``/verify`` (paste or upload, no JavaScript)."""

from __future__ import annotations

import io
import json
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from tests.http.conftest import COMMUNITY_CODE
from tests.services.voting.owner_helpers import import_rows, issue_all, open_ballot, tokens_by_unit
from voting.casting import cast_vote
from voting.receipts import Receipt

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    """These tests read the English wording; without a choice the pages are in Chinese."""
    client.set_cookie("lang", "en")


@pytest.fixture
def receipt(runtime: Runtime, community: int) -> Receipt:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE)
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-101"]
    cast = runtime.run(cast_vote, token=token, choices={1: "agree", 2: "abstain"})
    sign_due_checkpoints(runtime)  # what `fundvote tick` does every minute
    return cast


def log_rows(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in ("log_head", "log_entry", "log_node", "log_checkpoint")
        }


def csrf(client: FlaskClient) -> str:
    match = _CSRF.search(client.get("/verify").get_data(as_text=True))
    assert match
    return match.group(1)


def test_verify_page_is_public_and_needs_no_script(client: FlaskClient) -> None:
    response = client.get("/verify")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="receipt"' in page and 'type="file"' in page and "<script" not in page


def test_pasted_receipt_verifies(client: FlaskClient, receipt: Receipt) -> None:
    response = client.post("/verify", data={"csrf_token": csrf(client), "receipt": receipt.text})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This receipt is genuine" in page and receipt.tracker in page


def test_uploaded_receipt_verifies(client: FlaskClient, receipt: Receipt) -> None:
    response = client.post(
        "/verify",
        data={
            "csrf_token": csrf(client),
            "file": (io.BytesIO(receipt.text.encode()), "receipt.json"),
        },
        content_type="multipart/form-data",
    )
    assert "This receipt is genuine" in response.get_data(as_text=True)


def test_tampered_receipt_is_flagged(client: FlaskClient, receipt: Receipt) -> None:
    data = json.loads(receipt.text)
    data["questions"][1]["choice"] = "oppose"
    response = client.post(
        "/verify", data={"csrf_token": csrf(client), "receipt": json.dumps(data)}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "does not check out" in page and "signature does not verify" in page


def test_garbage_is_refused_kindly(client: FlaskClient) -> None:
    response = client.post("/verify", data={"csrf_token": csrf(client), "receipt": "hello"})
    assert response.status_code == 422
    assert "not JSON" in response.get_data(as_text=True)


def test_a_receipt_not_yet_checkpointed_says_when_it_will_be_and_writes_nothing(
    client: FlaskClient, runtime: Runtime, community: int
) -> None:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE)  # opening signs a checkpoint
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-101"]
    runtime.clock.advance(seconds=30)  # type: ignore[attr-defined]
    fresh = runtime.run(cast_vote, token=token, choices={1: "agree", 2: "abstain"})
    before = log_rows(runtime)
    response = client.post("/verify", data={"csrf_token": csrf(client), "receipt": fresh.text})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Cast at 10:00:30 Shanghai time: covered by the checkpoint due 60 s later, by 10:02.
    assert "Recorded; covered by the next checkpoint, due by 10:02." in page
    assert "does not check out" not in page and "This receipt is genuine" not in page
    assert log_rows(runtime) == before
    chinese = client.post(
        "/verify",
        data={"csrf_token": csrf(client), "receipt": fresh.text},
        headers={"Cookie": "lang=zh_Hans"},
    )
    assert chinese.status_code == 200


def test_a_receipt_naming_an_unknown_community_is_404_and_writes_nothing(
    client: FlaskClient, runtime: Runtime, receipt: Receipt
) -> None:
    data = json.loads(receipt.text)
    data["community"] = "NOPE"
    data["log"]["origin"] = "fundvote.test/NOPE"
    before = log_rows(runtime)
    response = client.post(
        "/verify", data={"csrf_token": csrf(client), "receipt": json.dumps(data)}
    )
    assert response.status_code == 404
    assert "There is no community NOPE." in response.get_data(as_text=True)
    assert log_rows(runtime) == before
