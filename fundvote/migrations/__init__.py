"""Alembic migrations of the fundvote schema (found from the package by ``fundvote init``)."""
