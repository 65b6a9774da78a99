"""The committee's voting desk: issuing links (ZIP once), reissuing, paper entry, proxies."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from fundvote.runtime import Runtime
from tests.http.conftest import COMMUNITY_CODE, Login, csrf_token
from tests.services.voting.owner_helpers import import_rows, open_ballot
from voting.models import Credential, Proxy, Vote
from voting.outbox import FileSender


@pytest.fixture(autouse=True)
def _english(client: FlaskClient) -> None:
    """These tests read the English wording; without a choice the pages are in Chinese."""
    client.set_cookie("lang", "en")


@pytest.fixture
def ref(runtime: Runtime, community: int, app: Flask, tmp_path: Path) -> str:
    import_rows(runtime, COMMUNITY_CODE)
    app.extensions["fundvote_outbox"] = FileSender(tmp_path / "outbox")
    return open_ballot(runtime, code=COMMUNITY_CODE).ref


@pytest.fixture
def slip_tasks(app: Flask) -> list[Callable[[], None]]:
    """Background slip renders, queued instead of started: run them with ``task()``."""
    queued: list[Callable[[], None]] = []
    app.extensions["fundvote_slips_executor"] = queued.append
    return queued


def url(ref: str, tail: str) -> str:
    return f"/c/{COMMUNITY_CODE}/ballots/{ref}/{tail}"


def test_issue_links_once_as_zip_and_send(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    ref: str,
    tmp_path: Path,
    slip_tasks: list[Callable[[], None]],
) -> None:
    login("committee")
    page = client.get(url(ref, "links"))
    assert page.status_code == 200 and "Issue and download the links" in page.get_data(as_text=True)
    response = client.post(
        url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "1"}
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {f"links-{ref}.csv", "README.txt"} == names  # the slips come later, from their page
    rows = list(csv.reader(io.StringIO(archive.read(f"links-{ref}.csv").decode("utf-8-sig"))))
    assert len(rows) == 6  # header + 5 members
    assert rows[1][3].startswith("http://localhost/v/")
    assert "张三明" not in archive.read(f"links-{ref}.csv").decode("utf-8-sig")
    readme = archive.read("README.txt").decode("utf-8")
    assert re.search(rf"http://localhost/c/{COMMUNITY_CODE}/ballots/{ref}/slips/[\w-]+ ", readme)
    assert len(slip_tasks) == 1  # queued, not rendered inside the request
    sent = list((tmp_path / "outbox").iterdir())
    assert len(sent) == 4
    # Once: a second issue is refused and the page offers reissue only.
    response = client.post(url(ref, "links/issue"), data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    text = client.get(url(ref, "links")).get_data(as_text=True)
    assert "already have a live link" in text and "Reissue one member" in text
    assert "Issue and download the links" not in text
    tokens = {row[3].rsplit("/", 1)[1] for row in rows[1:]}
    with runtime.session_factory() as s:
        stored = set(s.scalars(sa.select(Credential.token_hash)))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}


def test_reissue_shows_the_new_link_once(
    client: FlaskClient, login: Login, runtime: Runtime, ref: str
) -> None:
    login("committee")
    client.post(url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "0"})
    response = client.post(
        url(ref, "links/reissue"), data={"csrf_token": csrf_token(client), "unit": "2-101"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = re.search(r"http://localhost/v/([A-Za-z0-9_-]{32})", page)
    assert match and "data:image/svg+xml" in page
    assert client.get(f"/v/{match.group(1)}").status_code == 200
    response = client.post(
        url(ref, "links/reissue"), data={"csrf_token": csrf_token(client), "unit": "9-999"}
    )
    assert response.status_code == 303


def test_readers_see_but_cannot_act(client: FlaskClient, login: Login, ref: str) -> None:
    login("auditor")
    assert client.get(url(ref, "links")).status_code == 200
    assert "Issue and download" not in client.get(url(ref, "links")).get_data(as_text=True)
    assert client.get(url(ref, "paper")).status_code == 200
    assert (
        client.post(url(ref, "links/issue"), data={"csrf_token": csrf_token(client)}).status_code
        == 403
    )


def test_manager_may_not_see_the_desk(client: FlaskClient, login: Login, ref: str) -> None:
    login("manager")
    assert client.get(url(ref, "paper")).status_code == 403


def test_paper_double_entry_through_the_pages(
    app: Flask, login: Login, runtime: Runtime, ref: str
) -> None:
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.set_cookie("lang", "en")
    login("committee", on=first)
    login("committee", on=second)
    form = {"unit": "1-103", "q1": "agree", "q2": "oppose"}
    scan = (io.BytesIO(b"%PDF scan of the form"), "form.pdf")
    response = first.post(
        url(ref, "paper"),
        data={**form, "csrf_token": csrf_token(first), "scan": scan},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with runtime.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0
    digest = hashlib.sha256(b"%PDF scan of the form").hexdigest()
    response = second.post(
        url(ref, "paper"), data={**form, "csrf_token": csrf_token(second), "scan_sha256": digest}
    )
    assert response.status_code == 303
    with runtime.session_factory() as s:
        row = s.scalars(sa.select(Vote)).one()
    assert row.channel == "paper"
    page = second.get(url(ref, "paper")).get_data(as_text=True)
    assert "Second entry matches" in page and "counted" in page
    # A mismatch shows up to be resolved.
    second.post(
        url(ref, "paper"),
        data={
            "unit": "2-102",
            "q1": "agree",
            "q2": "agree",
            "csrf_token": csrf_token(second),
            "scan_sha256": digest,
        },
    )
    first.post(
        url(ref, "paper"),
        data={
            "unit": "2-102",
            "q1": "oppose",
            "q2": "agree",
            "csrf_token": csrf_token(first),
            "scan_sha256": digest,
        },
    )
    page = first.get(url(ref, "paper")).get_data(as_text=True)
    assert "To resolve" in page and "Void this entry" in page
    # Who keyed each entry is shown by name, never as a user id.
    assert "Test committee (you)" in page and not re.search(r">#\d+", page)
    # No hash and no file: refused with a message.
    response = first.post(
        url(ref, "paper"), data={**form, "unit": "1-101", "csrf_token": csrf_token(first)}
    )
    assert response.status_code == 303
    assert "SHA-256" in first.get(url(ref, "paper")).get_data(as_text=True)


def test_proxy_record_and_revoke(
    client: FlaskClient, login: Login, runtime: Runtime, ref: str
) -> None:
    login("committee")
    response = client.post(
        url(ref, "proxies"),
        data={
            "csrf_token": csrf_token(client),
            "unit": "1-103",
            "acting_unit": "1-101",
            "authorization": (io.BytesIO(b"signed authorization"), "auth.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with runtime.session_factory() as s:
        proxy = s.scalars(sa.select(Proxy)).one()
    assert proxy.authorization_sha256 == hashlib.sha256(b"signed authorization").hexdigest()
    page = client.get(url(ref, "proxies")).get_data(as_text=True)
    assert "1-103" in page and "Revoke" in page
    response = client.post(
        url(ref, f"proxies/{proxy.id}/revoke"), data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    with runtime.session_factory() as s:
        assert s.get_one(Proxy, proxy.id).revoked_at is not None


def test_other_community_is_refused(
    client: FlaskClient, login: Login, runtime: Runtime, ref: str
) -> None:
    from tests.http.conftest import make_community

    make_community(runtime, "other", "其他小区")
    login("committee", communities=["other"])
    assert client.get(url(ref, "links")).status_code == 403
    assert client.get(f"/c/other/ballots/{ref}/links").status_code == 404


def test_slips_job_page_then_download_then_delete(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    ref: str,
    slip_tasks: list[Callable[[], None]],
) -> None:
    login("committee")
    response = client.post(
        url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "0"}
    )
    readme = zipfile.ZipFile(io.BytesIO(response.data)).read("README.txt").decode("utf-8")
    match = re.search(r"/slips/([\w-]+)", readme)
    assert match
    job_url = url(ref, f"slips/{match.group(1)}")
    # Before rendering: the page says how far it is and refreshes itself; no download yet.
    page = client.get(job_url).get_data(as_text=True)
    assert "Being prepared: 0 of 5 slips." in page and 'http-equiv="refresh"' in page
    assert "Download the slips" not in page
    assert client.get(job_url + "/download").status_code == 303
    links_page = client.get(url(ref, "links")).get_data(as_text=True)
    assert "Slips to print" in links_page and match.group(1) in links_page
    # The queued render runs (the executor is synchronous here): ready to download.
    slip_tasks.pop(0)()
    page = client.get(job_url).get_data(as_text=True)
    assert "The slips are ready: 5 slips" in page and "http-equiv" not in page
    download = client.get(job_url + "/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert f"slips-{ref}.pdf" in download.headers["Content-Disposition"]
    # Readers see the progress but may not download or delete.
    auditor = client.application.test_client()
    auditor.set_cookie("lang", "en")
    login("auditor", on=auditor)
    assert auditor.get(job_url).status_code == 200
    assert "Download the slips" not in auditor.get(job_url).get_data(as_text=True)
    assert auditor.get(job_url + "/download").status_code == 403
    assert (
        auditor.post(job_url + "/delete", data={"csrf_token": csrf_token(auditor)}).status_code
        == 403
    )
    # The committee deletes it: gone from the disk and from the links page.
    response = client.post(job_url + "/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert client.get(job_url).status_code == 404
    assert not list((runtime.settings.instance_path / "slips").iterdir())


def test_slips_job_of_another_ballot_or_unknown_is_404(
    client: FlaskClient, login: Login, ref: str, slip_tasks: list[Callable[[], None]]
) -> None:
    login("committee")
    assert client.get(url(ref, "slips/not-a-job")).status_code == 404
    assert client.get(url(ref, "slips/..%2F..%2Fsecret_key")).status_code == 404
    assert client.get(url(ref, "slips/" + "A" * 24 + "/download")).status_code == 404
    assert client.get(url("B-0000-999", "slips/" + "A" * 24)).status_code == 404


def test_issuing_for_a_large_roll_returns_every_link_without_rendering(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    community: int,
    app: Flask,
    tmp_path: Path,
    slip_tasks: list[Callable[[], None]],
) -> None:
    from tests.services.voting.owner_helpers import import_many

    import_many(runtime, COMMUNITY_CODE, 2000)
    app.extensions["fundvote_outbox"] = FileSender(tmp_path / "outbox")
    big = open_ballot(runtime, code=COMMUNITY_CODE).ref
    login("committee")
    response = client.post(
        url(big, "links/issue"), data={"csrf_token": csrf_token(client), "send": "1"}
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    rows = list(csv.reader(io.StringIO(archive.read(f"links-{big}.csv").decode("utf-8-sig"))))
    tokens = {row[3].rsplit("/", 1)[1] for row in rows[1:]}
    assert len(tokens) == 2000
    with runtime.session_factory() as s:
        stored = set(s.scalars(sa.select(Credential.token_hash)))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert len(list((tmp_path / "outbox").iterdir())) == 2000
    assert len(slip_tasks) == 1  # four parts of 500 slips wait for the background
    slips = runtime.settings.instance_path / "slips"
    (job_dir,) = list(slips.iterdir())
    assert sorted(p.name for p in job_dir.glob("input-*.enc")) == [
        f"input-000{i}.enc" for i in range(1, 5)
    ]


def test_slips_of_several_parts_download_as_a_zip(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    app: Flask,
    ref: str,
    slip_tasks: list[Callable[[], None]],
) -> None:
    app.config["FUNDVOTE_SLIPS_PART_SIZE"] = 2
    login("committee")
    response = client.post(
        url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "0"}
    )
    csv_text = zipfile.ZipFile(io.BytesIO(response.data)).read(f"links-{ref}.csv").decode()
    (job_dir,) = list((runtime.settings.instance_path / "slips").iterdir())
    for task in slip_tasks:
        task()
    # The job expires a day after issuing (the ballot closes later than that).
    meta = json.loads((job_dir / "meta.json").read_text())
    assert datetime.fromisoformat(meta["expires_at"]) == runtime.clock.now() + timedelta(hours=24)
    # No file of the job holds a link in clear.
    tokens = re.findall(r"/v/([A-Za-z0-9_-]{32})", csv_text)
    assert len(tokens) == 5
    for path in job_dir.iterdir():
        assert not any(t.encode() in path.read_bytes() for t in tokens), path.name
    page = client.get(url(ref, f"slips/{job_dir.name}")).get_data(as_text=True)
    assert "a ZIP file of 3 PDF files" in page
    download = client.get(url(ref, f"slips/{job_dir.name}/download"))
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert archive.namelist() == [
        f"slips-{ref}-00001-00002.pdf",
        f"slips-{ref}-00003-00004.pdf",
        f"slips-{ref}-00005-00005.pdf",
    ]
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())


def test_a_dead_renderer_is_resumed_by_the_next_look(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    ref: str,
    slip_tasks: list[Callable[[], None]],
) -> None:
    login("committee")
    client.post(url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "0"})
    slip_tasks.clear()  # the worker died before its thread ran: nobody renders the job
    (job_dir,) = list((runtime.settings.instance_path / "slips").iterdir())
    client.get(url(ref, "links"))  # looking at the job queues a new render
    assert len(slip_tasks) == 1
    slip_tasks.pop()()
    page = client.get(url(ref, f"slips/{job_dir.name}")).get_data(as_text=True)
    assert "The slips are ready" in page and not slip_tasks


def test_an_altered_slips_file_is_refused_without_an_error_page(
    client: FlaskClient,
    login: Login,
    runtime: Runtime,
    ref: str,
    slip_tasks: list[Callable[[], None]],
) -> None:
    login("committee")
    client.post(url(ref, "links/issue"), data={"csrf_token": csrf_token(client), "send": "0"})
    slip_tasks.pop()()
    (job_dir,) = list((runtime.settings.instance_path / "slips").iterdir())
    part = job_dir / "part-0001.pdf.enc"
    part.write_bytes(part.read_bytes()[:-1] + b"\0")
    response = client.get(url(ref, f"slips/{job_dir.name}/download"))
    assert response.status_code == 303
    page = client.get(url(ref, f"slips/{job_dir.name}")).get_data(as_text=True)
    assert "could not be read" in page
