"""Errors of :mod:`ledger.storage`, all under :class:`ledger.errors.StorageError`.

::

    StorageError                     (ledger.errors)
     ├── AppendError                 (ledger.errors) an append batch was not committed
     ├── IdempotencyConflictError    (ledger.errors) a key reused for a different request
     ├── StorageUnavailableError     (ledger.errors) connection lost, disk full, busy
     ├── UnsupportedDatabaseError    the URL names a database Bukti cannot run on
     ├── StoreClosedError            the store was closed
     └── NotFoundError               the thing asked for is not stored (yet)
          ├── EntryNotFoundError
          ├── CheckpointNotFoundError
          └── TreeSizeError          a proof or tile needs leaves beyond the log's size

Messages say what was asked for and what the log holds.
"""

from __future__ import annotations

from ledger.errors import (
    AppendError,
    IdempotencyConflictError,
    StorageError,
    StorageUnavailableError,
)

__all__ = [
    "AppendError",
    "CheckpointNotFoundError",
    "EntryNotFoundError",
    "IdempotencyConflictError",
    "NotFoundError",
    "StorageError",
    "StorageUnavailableError",
    "StoreClosedError",
    "TreeSizeError",
    "UnsupportedDatabaseError",
]


class UnsupportedDatabaseError(StorageError):
    """The database URL is not a SQLite file or a PostgreSQL server."""


class StoreClosedError(StorageError):
    """An append was submitted after :meth:`LogStore.close`."""


class NotFoundError(StorageError, LookupError):
    """The requested row is not stored."""


class EntryNotFoundError(NotFoundError):
    """No entry at the requested sequence number."""


class CheckpointNotFoundError(NotFoundError):
    """No stored checkpoint satisfies the request."""


class TreeSizeError(NotFoundError):
    """A proof, root or tile needs leaves the log does not hold yet."""
