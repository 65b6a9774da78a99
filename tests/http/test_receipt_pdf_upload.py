"""The receipt PDF, as downloaded from the voting link, verifies by upload on ``/verify``;
the result names the community and the ballot; foreign and hostile PDFs get a clear message,
never a server error."""

from __future__ import annotations

import io
import json
import re
import zlib

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from fundvote.runtime import Runtime
from fundvote.tick import sign_due_checkpoints
from tests.http.conftest import COMMUNITY_CODE
from tests.services.voting.owner_helpers import import_rows, issue_all, open_ballot, tokens_by_unit
from voting.casting import cast_vote
from voting.receipt_pdf import receipt_from_pdf
from voting.receipts import Receipt

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")


@pytest.fixture
def voted(runtime: Runtime, community: int) -> tuple[str, Receipt]:
    import_rows(runtime, COMMUNITY_CODE)
    info = open_ballot(runtime, code=COMMUNITY_CODE)
    token = tokens_by_unit(issue_all(runtime, info.ref))["1-101"]
    receipt = runtime.run(cast_vote, token=token, choices={1: "agree", 2: "abstain"})
    sign_due_checkpoints(runtime)
    return token, receipt


def upload(client: FlaskClient, data: bytes, name: str = "receipt.pdf"):  # type: ignore[no-untyped-def]
    match = _CSRF.search(client.get("/verify").get_data(as_text=True))
    assert match
    # the body is built in memory: the test client would spool a large one to a temporary
    # file that it never closes
    stream, length, boundary = stream_encode_multipart(
        {"csrf_token": match.group(1), "file": FileStorage(io.BytesIO(data), name)},
        use_tempfile=False,
    )
    return client.post(
        "/verify",
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_downloaded_receipt_pdf_verifies_by_upload(
    client: FlaskClient, voted: tuple[str, Receipt]
) -> None:
    token, receipt = voted
    response = client.get(f"/v/{token}/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert receipt_from_pdf(pdf) == receipt.text
    checked = upload(client, pdf)
    assert checked.status_code == 200
    page = checked.get_data(as_text=True)
    assert "This receipt is genuine" in page and receipt.tracker in page
    # names, not codes: the community's name and the ballot's title, linked to its results
    assert "江滨花园" in page and "三号楼电梯更新" in page
    assert f"/r/{COMMUNITY_CODE}/{receipt.ballot}/" in page


def test_pasted_receipt_result_names_the_community_and_ballot(
    client: FlaskClient, voted: tuple[str, Receipt]
) -> None:
    _token, receipt = voted
    page = upload(client, receipt.text.encode(), "receipt.json").get_data(as_text=True)
    assert "江滨花园" in page and "三号楼电梯更新" in page


def _with_embedded(body: bytes, entries: bytes) -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj\n<</Type /EmbeddedFile"
        + entries
        + b">>\nstream\n"
        + body
        + b"\nendstream\nendobj\n%%EOF\n"
    )


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"%PDF-1.4\n%%EOF\n", 422, "holds no fundvote receipt"),
        (b"%PDF-" + b"\x00" * 5000, 422, "holds no fundvote receipt"),
        (
            _with_embedded(
                z := zlib.compress(b" " * 10_000_000), b"/Filter /FlateDecode/Length %d" % len(z)
            ),
            422,
            "holds no fundvote receipt",
        ),
        (b"%PDF-" + b"1" * (4 * 1024 * 1024), 413, "too large"),
        (
            _with_embedded(b'{"type": "fundvote.receipt", "x": "\\ud800"}', b"/Length 43"),
            422,
            "receipt",
        ),
        (
            _with_embedded(b'{"type": "fundvote.receipt"}', b"/Length 28"),
            422,
            "receipt",
        ),
    ],
    ids=["empty", "nul", "bomb", "huge", "surrogate", "fields-missing"],
)
def test_hostile_pdfs_get_a_clear_message(
    client: FlaskClient, community: int, data: bytes, status: int, words: str
) -> None:
    response = upload(client, data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert words in page and 'role="alert"' in page


def test_a_tampered_pdf_receipt_does_not_check_out(
    client: FlaskClient, voted: tuple[str, Receipt]
) -> None:
    _token, receipt = voted
    data = json.loads(receipt.text)
    data["questions"][1]["choice"] = "oppose"
    body = json.dumps(data).encode()
    forged = _with_embedded(body, b"/Length %d" % len(body))
    page = upload(client, forged).get_data(as_text=True)
    assert "does not check out" in page


def api_upload(client: FlaskClient, data: bytes):  # type: ignore[no-untyped-def]
    stream, length, boundary = stream_encode_multipart(
        {"file": FileStorage(io.BytesIO(data), "receipt.pdf")}, use_tempfile=False
    )
    return client.post(
        "/api/v1/receipts/verify/pdf",
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_api_checks_a_receipt_pdf_as_the_page_does(
    client: FlaskClient, voted: tuple[str, Receipt]
) -> None:
    token, receipt = voted
    pdf = client.get(f"/v/{token}/receipt.pdf").data
    checked = api_upload(client, pdf)
    assert checked.status_code == 200, checked.get_json()
    body = checked.get_json()
    assert body["is_valid"] is True and body["tracker"] == receipt.tracker
    assert body == client.post("/api/v1/receipts/verify", json={"receipt": receipt.text}).json
    foreign = api_upload(client, b"%PDF-1.4\n%%EOF\n")
    assert foreign.status_code == 422 and foreign.mimetype == "application/problem+json"
    not_pdf = api_upload(client, b"hello")
    assert not_pdf.status_code == 422 and not_pdf.mimetype == "application/problem+json"
    assert api_upload(client, b"%PDF-" + b"0" * (5 * 1024 * 1024)).status_code == 413
