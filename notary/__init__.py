"""Evidence primitives with no domain knowledge.

Canonical JSON (RFC 8785), Ed25519 keys and C2SP signed notes, the append-only Merkle log
(RFC 6962/9162 hashing), checkpoints and proofs. The pure modules import only the standard
library, ``cryptography`` and ``rfc8785``; the database-backed log store (``notary.store``)
is the only module that uses SQLAlchemy, and nothing here imports it at package level.
"""
