"""The double-entry ledger: maintenance-fund sub-accounts, public income, projects, draws."""
