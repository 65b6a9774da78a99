"""The offline verifier is downloadable by anyone, as the same bytes the builder makes."""

from __future__ import annotations

from flask.testing import FlaskClient

from audit.zipapp import build_verifier_pyz


def test_anyone_downloads_the_verifier(client: FlaskClient) -> None:
    response = client.get("/audit/fundvote-verify.pyz")
    assert response.status_code == 200
    assert response.data == build_verifier_pyz()
    assert response.data.startswith(b"#!/usr/bin/env python3\n")
    assert "fundvote-verify.pyz" in response.headers["Content-Disposition"]
    again = client.get(
        "/audit/fundvote-verify.pyz", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code in (200, 304)
