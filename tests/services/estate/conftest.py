"""Fixtures for the property register's service tests."""

from __future__ import annotations

import pytest

from estate.services import create_community
from fundvote.runtime import Runtime


@pytest.fixture
def community(runtime: Runtime) -> str:
    runtime.run(create_community, code="JB01", name="Jiangbin Garden")
    return "JB01"
