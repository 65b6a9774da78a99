"""fundvote: the composition root.

Builds the Flask application and the command line, reads configuration, opens the database,
authenticates staff, maps domain errors to HTTP, and handles languages. It wires the domain
packages (audit, ledger, voting, estate, notary) together and holds no rules of its own.
"""

__version__ = "0.1.0"
