"""Alembic environment and revisions of the ledger database (shipped inside the package)."""
