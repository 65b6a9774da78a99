from __future__ import annotations

import pytest

from fundvote.runtime import Runtime
from tests.http.conftest import make_community


@pytest.fixture
def community(runtime: Runtime) -> int:
    return make_community(runtime)
