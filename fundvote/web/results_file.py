"""The committee's results file: a ballot's recorded tally as CSV or XLSX.

One row per question and count (the plain count, and the deemed-majority count beside it when
the ballot has the rule): the roll, those who took part and each choice in heads and in m²,
and the outcome words. Headers are in the reader's language (Chinese first); areas are numbers
(XLSX number cells with two decimals), heads whole numbers; text cells can never become
spreadsheet formulas (``estate.api.write_table``).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from estate.api import format_hundredths, write_table
from fundvote.web.ballot_labels import MATTER_LABELS
from voting.api import Figure, TallyReport, TallyResult


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not applicable")
    return _("yes") if value else _("no")


def _figure(f: Figure) -> list[str]:
    return [str(f.heads), format_hundredths(f.area_centi)]


def results_header() -> list[str]:
    """The column titles, in the reader's language."""
    return [
        _("Question"),
        _("Matter"),
        _("Question text"),
        _("Count"),
        _("Binding"),
        _("Roll: heads"),
        _("Roll: area (m²)"),
        _("Took part: heads"),
        _("Took part: area (m²)"),
        _("Agree: heads"),
        _("Agree: area (m²)"),
        _("Oppose: heads"),
        _("Oppose: area (m²)"),
        _("Abstain: heads"),
        _("Abstain: area (m²)"),
        _("Quorum met"),
        _("Approved"),
        _("Passed"),
    ]


NUMERIC_COLUMNS = frozenset(range(5, 15))
"""Columns written as numbers: heads and areas of the roll, participation and choices."""


def results_rows(report: TallyReport) -> list[list[str]]:
    """One row per question and count, in question order, the plain count first."""
    rows: list[list[str]] = []
    for q in report.questions:
        counts: Sequence[tuple[str, str, TallyResult | None]] = (
            ("plain", _("plain result"), q.plain),
            ("deemed_majority", _("deemed-majority result"), q.deemed_majority),
        )
        for key, label, result in counts:
            if result is None:
                continue
            rows.append(
                [
                    str(q.position),
                    str(MATTER_LABELS.get(q.matter, q.matter)),
                    q.text,
                    label,
                    _yes_no(q.binding == key),
                    *_figure(result.roll),
                    *_figure(result.participated),
                    *_figure(result.agree),
                    *_figure(result.oppose),
                    *_figure(result.abstain),
                    _yes_no(result.quorum_met),
                    _yes_no(result.approved),
                    _yes_no(result.passed),
                ]
            )
    return rows


def results_file(report: TallyReport, fmt: str) -> bytes:
    """The tally as ``csv`` (UTF-8 with a byte-order mark, for spreadsheet programs) or
    ``xlsx``; every figure exactly as recorded."""
    data = write_table(results_header(), results_rows(report), fmt, numeric=NUMERIC_COLUMNS)
    return b"\xef\xbb\xbf" + data if fmt == "csv" else data
