"""WSGI entry point for process managers: ``gunicorn fundvote.wsgi:app``."""

from fundvote.app import create_app

app = create_app()
