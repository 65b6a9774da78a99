"""Jinja templates and static files, shipped as package data (found from the package)."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent
STATIC_DIR = TEMPLATE_DIR / "static"
