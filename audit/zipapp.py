"""``fundvote-verify.pyz``: the offline verifier as one file that needs only Python 3.11+ and
``cryptography``.

It holds the verifier (``audit.verify``), the pure modules it imports from ``notary``,
``voting``, ``estate`` and ``ledger`` (found by following their ``import`` statements), and
``rfc8785`` (pure Python). Built deterministically: the same sources give the same bytes
(members sorted, dated 1980-01-01, deflated, no extra fields).

``python -m audit.zipapp OUT.pyz`` writes it (``make verifier-pyz``).
"""

from __future__ import annotations

import ast
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

OURS = ("audit", "notary", "voting", "estate", "ledger", "rfc8785")
"""Top-level packages whose modules are copied when the verifier imports them."""
FORBIDDEN = ("flask", "sqlalchemy", "marshmallow", "alembic", "werkzeug", "jinja2")
ROOTS = ("audit.verify.cli", "audit.verify", "audit.verify_ledger")
SHEBANG = b"#!/usr/bin/env python3\n"
MAIN = (
    b'"""fundvote-verify: check a fundvote audit bundle offline (-h for help)."""\n'
    b"import sys\n\n"
    b"if sys.version_info < (3, 11):\n"
    b'    sys.exit("fundvote-verify needs Python 3.11 or later")\n'
    b"from audit.verify.cli import main\n\n"
    b"sys.exit(main())\n"
)


class ImpureImport(Exception):
    """A module the verifier needs imports a web or database framework."""


def _source(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_bytes(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{alias.name}" for alias in node.names)
    return out


def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    out: list[ast.AST] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            out += [n for stmt in child.orelse for n in (stmt, *_walk(stmt))]
            continue
        out.append(child)
        out += _walk(child)
    return out


def verifier_modules() -> dict[str, Path]:
    """Every module (dotted name -> source file) the verifier imports from :data:`OURS`, with
    the packages that hold them. Raises :class:`ImpureImport` if one imports a framework."""
    found: dict[str, Path] = {}
    todo = [r for r in ROOTS if importlib.util.find_spec(r.rpartition(".")[0] or r) is not None]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        top = name.split(".")[0]
        if top in FORBIDDEN:
            raise ImpureImport(f"the verifier's import path reaches {name}")
        if top not in OURS:
            continue
        try:
            path = _source(name)
        except (ImportError, ValueError):
            path = None
        if path is None:
            continue  # a name imported from a module, not a module
        found[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_imports(name, path))
    return found


def build_verifier_pyz() -> bytes:
    """The bytes of ``fundvote-verify.pyz`` (deterministic for the same sources)."""
    members: dict[str, bytes] = {"__main__.py": MAIN}
    for name, path in verifier_modules().items():
        arc = name.replace(".", "/") + ("/__init__.py" if path.name == "__init__.py" else ".py")
        members[arc] = path.read_bytes()
    out = io.BytesIO()
    out.write(SHEBANG)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for arc in sorted(members):
            info = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, members[arc])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write the pyz to the path given (``python -m audit.zipapp OUT.pyz``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m audit.zipapp OUT.pyz\n")
        return 2
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build_verifier_pyz())
    out.chmod(0o755)
    return 0


if __name__ == "__main__":
    sys.exit(main())
