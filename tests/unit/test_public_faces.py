"""Entry points reach the domain packages only through their public faces.

Pages, the JSON API, the command line and the demo (``fundvote.web``, ``.api``, ``.cli``,
``.demo``) may import ``voting``, ``estate``, ``notary``, ``ledger`` and ``audit`` only through
each package's ``api`` module, so the inside of a package can change without touching them.
(import-linter's contracts in pyproject.toml keep them free of SQLAlchemy and ORM models.)
"""

from __future__ import annotations

import grimp

ENTRY_POINTS = ("fundvote.web", "fundvote.api", "fundvote.cli", "fundvote.demo")
DOMAIN = ("voting", "estate", "notary", "ledger", "audit")


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("fundvote", *DOMAIN, cache_dir=None)


def test_entry_points_import_domain_packages_only_through_their_api() -> None:
    graph = _graph()
    offending = []
    for module in sorted(graph.modules):
        if not module.startswith(ENTRY_POINTS):
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            package = imported.split(".")[0]
            if package in DOMAIN and imported not in (package, f"{package}.api"):
                offending.append(f"{module} -> {imported}")
    assert offending == [], "import the package's api module instead: " + ", ".join(offending)


def test_the_check_sees_the_entry_points() -> None:
    graph = _graph()
    web = [m for m in graph.modules if m.startswith("fundvote.web.")]
    assert len(web) >= 8
    assert "voting.api" in graph.find_modules_directly_imported_by("fundvote.web.owner")
