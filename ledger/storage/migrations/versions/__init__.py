"""Alembic revisions, oldest first: ``0001_ledger`` creates the log tables."""
