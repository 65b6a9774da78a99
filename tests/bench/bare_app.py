"""The baseline web app: bare Flask and SQLAlchemy Core, one table, nothing else.

``POST /rows`` inserts one row (the request's JSON body, as text) and commits before it
answers 201 with ``{"id": n}``; ``GET /`` answers a few bytes. Commits are as durable as
fundvote's: the same PostgreSQL server and settings, no ``synchronous_commit=off``.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request

METADATA = sa.MetaData()
ROWS = sa.Table(
    "bare_row",
    METADATA,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


def create_schema(database_url: str) -> None:
    """Create the baseline's table in ``database_url`` (idempotent)."""
    engine = sa.create_engine(database_url)
    METADATA.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    """The WSGI app; the database URL comes from ``BENCH_BARE_DATABASE_URL``."""
    engine = sa.create_engine(os.environ["BENCH_BARE_DATABASE_URL"])
    app = Flask(__name__)

    @app.get("/")
    def index() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.post("/rows")
    def insert() -> tuple[Response, int]:
        body = request.get_data(as_text=True)
        with engine.begin() as conn:
            new_id = conn.execute(ROWS.insert().values(body=body).returning(ROWS.c.id)).scalar()
        return jsonify({"id": new_id}), 201

    return app
