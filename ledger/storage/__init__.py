"""Ledger storage: SQLite or PostgreSQL through SQLAlchemy 2, migrated by Alembic.

- :func:`create_engine_for` — an engine with the ledger's durability settings;
  :func:`write_transaction` — a transaction holding the write lock (``BEGIN IMMEDIATE`` on
  SQLite), for any table; :func:`storage_error` — maps driver failures to the errors below;
- :func:`migrate` — bring a database to the newest schema (revisions ship in the package);
- :class:`LogStore` — the ONE append path (group commit, one signed checkpoint per batch)
  and the reads behind proofs, tiles, exports and audits.
"""

from ledger.storage.engine import create_engine_for, is_sqlite, storage_error, write_transaction
from ledger.storage.errors import (
    AppendError,
    CheckpointNotFoundError,
    EntryNotFoundError,
    IdempotencyConflictError,
    NotFoundError,
    StorageError,
    StorageUnavailableError,
    StoreClosedError,
    TreeSizeError,
    UnsupportedDatabaseError,
)
from ledger.storage.log_store import LogStore
from ledger.storage.migrate import current_revision, head_revision, migrate
from ledger.storage.records import (
    AppendContext,
    AppendedEntry,
    AppendRequest,
    BatchObserver,
    BodyFactory,
    StoredEntry,
)

__all__ = [
    "AppendContext",
    "AppendError",
    "AppendRequest",
    "AppendedEntry",
    "BatchObserver",
    "BodyFactory",
    "CheckpointNotFoundError",
    "EntryNotFoundError",
    "IdempotencyConflictError",
    "LogStore",
    "NotFoundError",
    "StorageError",
    "StorageUnavailableError",
    "StoreClosedError",
    "StoredEntry",
    "TreeSizeError",
    "UnsupportedDatabaseError",
    "create_engine_for",
    "current_revision",
    "head_revision",
    "is_sqlite",
    "migrate",
    "storage_error",
    "write_transaction",
]
