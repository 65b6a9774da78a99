"""The ``yuan`` and ``area`` template filters: grouped two-decimal text, sign included.

Pages and the notice PDF render money and areas only through these filters, which call
``estate.quantities.format_hundredths``; a negative value keeps its magnitude (-150 fen is
"-1.50", never "-2.50").
"""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (8937, "89.37"),
        (1_234_567, "12,345.67"),
        (123_456_789, "1,234,567.89"),
        (-1, "-0.01"),
        (-150, "-1.50"),
        (-123_456_789, "-1,234,567.89"),
    ],
)
@pytest.mark.parametrize("name", ["yuan", "area"])
def test_filters_group_and_keep_the_sign(app: Flask, name: str, value: int, text: str) -> None:
    with app.app_context():
        rendered = app.jinja_env.from_string(f"[{{{{ v|{name} }}}}]").render(v=value)
    assert rendered == f"[{text}]"
