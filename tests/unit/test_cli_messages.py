"""The command line says every sentence through the catalogue (``fundvote.cli.speech``).

What a command prints for a person (``click.echo``, ``fail``, ``reject``, a click error, a
prompt, a table's header) must not be an English sentence written into the code: a literal
or an f-string whose text holds words fails here, so it cannot reach a Chinese operator
untranslated. Allowed: command paths and option names (``fundvote tally: --matter: ``),
separators and values, and the tally report, which is written in both languages side by side
(its literals hold Chinese).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "fundvote" / "cli"
SAYING = {"click.echo", "fail", "_fail", "reject", "self.fail", "KeyProblem", "click.prompt"}
TABLES = {"text_table", "_table"}  # their first argument is a header row
_NOT_WORDS = re.compile(r"fundvote(?: [a-z-]+)*|--[a-z-]+")
_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _literal_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    if isinstance(node, ast.BinOp):  # "..." + "..."
        parts = [_literal_text(node.left), _literal_text(node.right)]
        return "".join(p for p in parts if p)
    return None


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of every English sentence a printing call is given as a literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name in SAYING:
            args = node.args
        elif name in TABLES and node.args and isinstance(node.args[0], ast.List):
            args = node.args[0].elts
        else:
            continue
        for arg in args:
            text = _literal_text(arg)
            if text is None or _CJK.search(text):
                continue
            if _WORD.search(_NOT_WORDS.sub("", text)):
                found.append((node.lineno, text))
    return found


def test_no_command_prints_an_english_sentence_of_its_own() -> None:
    problems = [
        f"{path.name}:{line}: {text!r}"
        for path in sorted(CLI.glob("*.py"))
        for line, text in untranslated(path.read_text(encoding="utf-8"))
    ]
    assert problems == [], "print these through fundvote.cli.speech._():\n" + "\n".join(problems)


def test_the_check_finds_what_it_is_for() -> None:
    assert untranslated('click.echo(f"added {user} ({role})")') == [(1, "added  ()")]
    assert untranslated('fail("fundvote: " + "no such file")') == [(1, "fundvote: no such file")]
    assert untranslated('click.echo(_("added %(user)s", user=u))') == []
    assert untranslated('fail(f"fundvote tally: --matter: {error_line(exc)}")') == []
    assert untranslated('click.echo(f"{a}\\t{b}")') == []
    assert untranslated('click.echo("结果 outcome: 通过 PASSED")') == []
    assert untranslated('text_table(["code", "%"], rows, right=set())') == [(1, "code")]
    assert untranslated('text_table([_("code"), "%"], rows, right=set())') == []
