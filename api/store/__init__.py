"""Repositories: the service's tables and the queries on them (no business rules)."""
