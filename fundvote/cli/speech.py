"""What the command line says to the operator, in the operator's language.

Every sentence a ``fundvote`` command prints for a person (a confirmation, a refusal, a
problem of a file) is an English msgid with named placeholders, translated through the same
catalogues as the pages (``fundvote/translations``), so an operator reads Chinese on a
Chinese system and English elsewhere. Records meant for scripts (tab-separated listings,
``--json`` output, a token or a password on stdout) are data and are never translated.

The language: ``FUNDVOTE_LANG`` (``zh_Hans`` or ``en``; ``zh``, ``zh_CN``... count as
``zh_Hans``) if set, else the POSIX locale variables in their order of precedence
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``): a Chinese locale gives Chinese, anything else
(``C``, ``POSIX``, ``en_US.UTF-8``, unset) English.

This module imports no web framework: the command line runs without an application.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from estate.api import RollProblem, format_problem
from notary.api import DomainError

LANG_ENV = "FUNDVOTE_LANG"
"""Environment variable naming the command line's language (``zh_Hans`` or ``en``)."""

_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def cli_locale(environ: Mapping[str, str] | None = None) -> str:
    """``zh_Hans`` or ``en``, chosen as the module docstring says."""
    env = os.environ if environ is None else environ
    for name in (LANG_ENV, "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "zh_Hans" if value.lower().startswith("zh") else "en"
    return "en"


@lru_cache(maxsize=4)
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(_TRANSLATIONS), [locale], domain="messages")


def _(msgid: str, **params: object) -> str:
    """``msgid`` in the command line's language with ``params`` filled in (``%`` left alone
    without params, as gettext does). A catalogue entry with a broken placeholder falls back
    to the English text rather than fail (a test checks every entry anyway)."""
    translated = _catalogue(cli_locale()).gettext(msgid)
    if not params:
        return translated
    values = {k: str(v) for k, v in params.items()}
    try:
        return translated % values
    except (KeyError, ValueError, TypeError):
        return msgid % values


def error_line(error: DomainError) -> str:
    """A domain error's message in the command line's language (msgid translated, then the
    error's params filled in)."""
    return _(error.message, **error.params)


def problem_line(problem: RollProblem) -> str:
    """One problem of a rejected file as :func:`estate.api.format_problem` lays it out
    (``file:line: field: message``), its message in the command line's language."""
    return format_problem(problem, _(problem.message, **problem.params))
