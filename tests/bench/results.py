"""Collecting figures: each one beside its same-run baseline, printed and written to JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Results:
    """The figures of one run, in the order they were measured.

    Guarantees: every figure has a value, a unit and a baseline measured in the same run;
    :meth:`write` produces exactly ``{"name": {"value": n, "unit": str, "baseline": n}}``.
    Notes and warnings are printed, never written to the JSON.
    """

    figures: dict[str, dict[str, float | str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, baseline: float, note: str = "") -> None:
        """Record figure ``name`` and print it beside its baseline (and the ratio)."""
        value, baseline = _round(value), _round(baseline)
        self.figures[name] = {"value": value, "unit": unit, "baseline": baseline}
        ratio = f"{value / baseline:8.2f}x" if baseline else "       -"
        print(f"  {name:<34} {value:>12} {unit:<8} baseline {baseline:>12}  {ratio}  {note}")

    def warn(self, message: str) -> None:
        """Print a loud warning now and again in the summary at the end."""
        self.warnings.append(message)
        print(f"  !!! {message}")

    def write(self, path: Path) -> None:
        """Write the figures as JSON to ``path`` (its directory is created)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.figures, indent=2) + "\n", encoding="utf-8")


def _round(x: float) -> float:
    """Four significant digits: enough for noisy timings, short to read."""
    if x == 0:
        return 0
    return float(f"{x:.4g}")
