"""A ledger report as a file: PDF (WeasyPrint, Chinese font, the same bytes for the same
figures), CSV or XLSX (``estate.api.write_table``: formulas neutralised, amounts as numbers).
Written once for the staff pages, the public pages and the JSON API."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from estate.api import format_hundredths, write_table
from fundvote.web.pdf import render_pdf

TITLES = {
    "trial-balance": lazy_gettext("Trial balance"),
    "funds": lazy_gettext("Balances by fund"),
    "disclosure": lazy_gettext("Maintenance fund annual disclosure"),
    "public-income": lazy_gettext("Public income statement"),
    "unit-statement": lazy_gettext("Unit statement"),
}
FORMATS = ("pdf", "csv", "xlsx")
MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _m(fen: int) -> str:
    return format_hundredths(fen)


def report_table(name: str, report: Any) -> tuple[list[str], list[list[str]], set[int]]:
    """The report as a header, rows of text cells and the indexes of its amount columns."""
    if name == "trial-balance":
        rows = [
            [line.code, line.name_zh, _m(line.debit_fen), _m(line.credit_fen)]
            for line in report.lines
        ]
        rows.append([_("Total"), "", _m(report.total_debit_fen), _m(report.total_credit_fen)])
        return [_("Account"), _("Name"), _("Debit, yuan"), _("Credit, yuan")], rows, {2, 3}
    if name == "funds":
        rows = [
            [line.fund, line.code, line.name_zh, str(line.accounts), _m(line.natural_fen)]
            for line in report.lines
        ]
        header = [_("Fund"), _("Account"), _("Name"), _("Accounts"), _("Balance, yuan")]
        return header, rows, {3, 4}
    if name == "disclosure":
        header = [
            _("Unit"),
            _("Opening"),
            _("Deposits"),
            _("Interest"),
            _("Transferred in"),
            _("Draws"),
            _("Other"),
            _("Closing"),
            _("Owed"),
        ]

        def line(code: str, u: Any) -> list[str]:
            return [code] + [
                _m(getattr(u, f))
                for f in (
                    "opening_fen",
                    "deposits_fen",
                    "interest_fen",
                    "transfers_fen",
                    "draws_fen",
                    "other_fen",
                    "closing_fen",
                    "owed_fen",
                )
            ]

        rows = [line(u.unit_code, u) for u in report.units]
        rows.append(line(_("Total"), report.totals))
        return header, rows, set(range(1, 9))
    if name == "public-income":
        rows = [[_("Opening balance"), _m(report.opening_fen)]]
        rows += [[line.name_zh, _m(line.amount_fen)] for line in report.income]
        rows += [
            [_("Income"), _m(report.income_fen)],
            [_("Reasonable costs"), _m(report.costs_fen)],
            [_("Net income"), _m(report.net_fen)],
            [_("Transferred into the maintenance fund"), _m(report.transfers_fen)],
            [_("Other movements"), _m(report.other_fen)],
            [_("Closing balance"), _m(report.closing_fen)],
            [_("Public income bank account"), _m(report.bank_fen)],
        ]
        return [_("Item"), _("Amount, yuan")], rows, {1}
    rows = [["", "", "", _("Opening balance"), "", _m(report.opening_fen)]]
    rows += [
        [
            line.value_date.isoformat(),
            str(line.entry),
            line.kind,
            line.memo,
            _m(line.amount_fen),
            _m(line.running_fen),
        ]
        for line in report.lines
    ]
    rows.append(["", "", "", _("Closing balance"), "", _m(report.closing_fen)])
    header = [_("Date"), _("Entry"), _("Kind"), _("Memo"), _("Amount, yuan"), _("Balance, yuan")]
    return header, rows, {4, 5}


def report_pdf(
    name: str, report: Any, community: Any, *, subtitle: str = "", anchor: Any = None
) -> bytes:
    """The report as PDF bytes (A4, Chinese font; no date or random id in the file, so the
    same figures give the same bytes)."""
    html = render_template(
        "print/ledger_report.html",
        name=name,
        report=report,
        community=community,
        title=TITLES[name],
        subtitle=subtitle,
        anchor=anchor,
    )
    return render_pdf(html)


def report_file(
    name: str, report: Any, community: Any, fmt: str, filename: str, **pdf: Any
) -> Response:
    """The report as a download in ``fmt`` (pdf, csv, xlsx) named ``filename.<fmt>``."""
    if fmt == "pdf":
        data = report_pdf(name, report, community, **pdf)
    else:
        header, rows, numeric = report_table(name, report)
        data = write_table(header, rows, fmt, numeric=numeric)
    response = Response(data, mimetype=MIMETYPES[fmt])
    disposition = "inline" if fmt == "pdf" else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
