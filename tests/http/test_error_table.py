"""The one error table and translated domain error messages.

Every concrete :class:`DomainError` of fundvote's packages has its own status in
``STATUS_BY_ERROR``; not-found errors are 404; server faults are 5xx with a reference and no
message; every message raised with a domain error is an ``N_`` literal with named placeholders,
and shows in Chinese.
"""

from __future__ import annotations

import ast
import importlib
import logging
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask, flash
from flask.testing import FlaskClient

from fundvote.access import public
from fundvote.app import create_app
from fundvote.errors import STATUS_BY_ERROR, error_text, status_for
from fundvote.runtime import Runtime
from notary.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("fundvote", "audit", "ledger", "voting", "estate", "notary")
ZH_PO = ROOT / "fundvote" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Raise sites whose message is a variable that provably holds an N_ msgid: the relay is named
# here with the function that builds the messages (its N_ literals are extracted and checked by
# test_i18n like every other msgid).
RELAYS = {
    ("voting/use_plans.py", "InvalidUsePlan"): "use_plan_problems",
    ("ledger/posting_rules.py", "InvalidEntry"): "entry_problems",
    ("ledger/posting_rules.py", "UnbalancedEntry"): "entry_problems",
}
SERVER_FAULT_SAMPLES = ("LogCorrupt", "SigningKeyMissing", "DataKeyMissing")


def _import_everything() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def domain_errors() -> list[type[DomainError]]:
    """Every DomainError subclass defined in fundvote's packages (not in tests)."""
    _import_everything()
    found = {c for c in _subclasses(DomainError) if c.__module__.split(".")[0] in PACKAGES}
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_domain_error_has_its_own_entry() -> None:
    classes = domain_errors()
    assert len(classes) > 80  # the walk found the packages' errors
    missing = [_name(c) for c in classes if c not in STATUS_BY_ERROR]
    assert missing == [], "no entry in fundvote.errors.STATUS_BY_ERROR: " + ", ".join(missing)
    stale = [_name(c) for c in STATUS_BY_ERROR if c is not DomainError and c not in classes]
    assert stale == []


def test_not_found_errors_are_404_and_faults_5xx() -> None:
    by_name = {c.__name__: c for c in domain_errors()}
    not_found = [c for name, c in by_name.items() if name.endswith("NotFound")]
    assert len(not_found) >= 8
    assert {_name(c): STATUS_BY_ERROR[c] for c in not_found} == {_name(c): 404 for c in not_found}
    for name in SERVER_FAULT_SAMPLES:
        assert STATUS_BY_ERROR[by_name[name]] in (500, 503), name


# -- raise sites ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseSite:
    where: str
    cls: type[DomainError]
    msgid: str
    params: frozenset[str]


def _callee(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _msgids(node: ast.expr, constants: dict[str, list[str]]) -> list[str] | None:
    """The msgids a message argument can be: ``N_("...")``, a conditional of those, or a
    module-level constant bound to one; None for anything else (f-string, variable...)."""
    if (
        isinstance(node, ast.Call)
        and _callee(node) == "N_"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    if isinstance(node, ast.IfExp):
        body, orelse = _msgids(node.body, constants), _msgids(node.orelse, constants)
        return body + orelse if body is not None and orelse is not None else None
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None


def _scan() -> tuple[list[RaiseSite], list[str]]:
    """Every construction of a domain error in the packages' source, and the bad ones.

    A class with its own ``__init__`` (``RollRejected``) is checked where it calls
    ``super().__init__`` instead of where it is raised.
    """
    by_name: dict[str, list[type[DomainError]]] = {}
    for cls in domain_errors():
        by_name.setdefault(cls.__name__, []).append(cls)
    custom_init = {c.__name__ for cs in by_name.values() for c in cs if "__init__" in vars(c)}
    sites: list[RaiseSite] = []
    bad: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants: dict[str, list[str]] = {}
            for stmt in tree.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    ids = _msgids(stmt.value, {})
                    if isinstance(target, ast.Name) and ids is not None:
                        constants[target.id] = ids
            classes = {c.__name__: c for cs in by_name.values() for c in cs}
            for node in ast.walk(tree):
                checks: list[tuple[ast.Call, type[DomainError]]] = []
                if isinstance(node, ast.ClassDef) and node.name in custom_init:
                    for inner in ast.walk(node):
                        if (
                            isinstance(inner, ast.Call)
                            and isinstance(inner.func, ast.Attribute)
                            and inner.func.attr == "__init__"
                        ):
                            checks.append((inner, classes[node.name]))
                elif isinstance(node, ast.Call):
                    name = _callee(node)
                    if name in by_name and name not in custom_init:
                        checks.append((node, by_name[name][0]))
                for call, cls in checks:
                    where = f"{rel}:{call.lineno} {cls.__name__}"
                    if (rel, cls.__name__) in RELAYS:
                        continue
                    if not call.args:
                        bad.append(f"{where}: no message")
                        continue
                    ids = _msgids(call.args[0], constants)
                    if ids is None:
                        bad.append(f"{where}: the message is not an N_ literal")
                        continue
                    params = frozenset(k.arg for k in call.keywords if k.arg)
                    for msgid in ids:
                        unfilled = set(PLACEHOLDER.findall(msgid)) - params
                        if unfilled or (re.search(r"%[^(%]", msgid.replace("%%", "")) and params):
                            bad.append(f"{where}: {msgid!r} placeholders {sorted(unfilled)}")
                        sites.append(RaiseSite(where, cls, msgid, params))
    return sites, bad


def test_domain_error_messages_are_n_literals_with_named_placeholders() -> None:
    sites, bad = _scan()
    assert len(sites) > 150  # the scan found the raise sites
    assert bad == []
    assert {s.cls.__name__ for s in sites} >= {"ScopeTooNarrow", "RollRejected", "BadQuantity"}


def _zh_catalogue() -> dict[str, str]:
    with open(ZH_PO, "rb") as fh:
        catalogue = read_po(fh, locale="zh_Hans")
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}  # type: ignore[misc]


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    app = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}, runtime=runtime
    )
    sites = {str(i): site for i, site in enumerate(_scan()[0])}
    app.config["RAISE_SITES"] = sites

    @app.get("/test/raise/<index>")
    @public
    def raise_site(index: str) -> str:
        site = sites[index]
        error = site.cls.__new__(site.cls)
        DomainError.__init__(error, site.msgid, **{p: f"<{p}>" for p in site.params})
        raise error

    @app.post("/test/flash/<name>")
    @public
    def flash_fault(name: str) -> str:
        cls = next(c for c in domain_errors() if c.__name__ == name)
        try:
            raise cls("Data key file /srv/secret/key for owner 13800138000 is gone.")
        except DomainError as exc:
            flash(error_text(exc), "error")
        return "flashed"

    return app


def test_every_domain_error_message_shows_in_chinese(app: Flask, client: FlaskClient) -> None:
    """Each raise site's error, rendered through the app in Chinese (the default language):
    a problem detail in Chinese; a server fault (no detail shown) needs its catalogue entry."""
    catalogue = _zh_catalogue()
    untranslated = []
    for index, site in app.config["RAISE_SITES"].items():
        if status_for(site.cls.__new__(site.cls)) >= 500:
            if site.msgid not in catalogue:
                untranslated.append(f"{site.where}: {site.msgid!r}")
            continue
        response = client.get(f"/test/raise/{index}", headers={"Accept": "application/json"})
        body = response.get_json(force=True)
        assert response.status_code == STATUS_BY_ERROR.get(site.cls, status_for(DomainError("")))
        detail = body["detail"]
        for placeholder in site.params:
            if f"%({placeholder})s" in site.msgid:
                assert f"<{placeholder}>" in detail, (site.where, detail)
        if not CJK.search(detail):
            untranslated.append(f"{site.where}: {site.msgid!r}")
    assert untranslated == [], "shown in English on Chinese pages: " + "; ".join(untranslated)


@pytest.mark.parametrize("name", SERVER_FAULT_SAMPLES)
def test_server_faults_show_a_reference_never_the_message(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        page = client.post(f"/test/flash/{name}")
        api = client.post(f"/test/flash/{name}", headers={"Accept": "application/json"})
    assert page.status_code in (500, 503) and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "这是系统的问题" in text and "检查填写的内容" not in text
    body = api.get_json(force=True)
    assert body["status"] == page.status_code and len(body["reference"]) == 12
    assert body["type"].startswith("urn:fundvote:problem:")
    assert body["reference"] in caplog.text and name in caplog.text
    assert "test_error_table.py:" in caplog.text  # where it was raised
    for output in (text, api.get_data(as_text=True), caplog.text):
        assert "/srv/secret" not in output and "13800138000" not in output
        assert "flashed" not in output and "Traceback" not in output
