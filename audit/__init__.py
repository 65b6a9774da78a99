"""Audit bundles and the offline verifier.

Runs with only ``cryptography`` and ``rfc8785`` installed: nothing here imports Flask or
SQLAlchemy at package level.
"""
