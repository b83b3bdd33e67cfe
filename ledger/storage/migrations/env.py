"""Alembic environment of the ledger database.

:func:`ledger.storage.migrate` passes an open connection, already inside the migration's
write transaction and holding the migration lock, as ``config.attributes["connection"]``.
Run from the ``alembic`` command line instead, this module opens its own engine from
``sqlalchemy.url`` with the same settings and lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ledger.storage.migrate import locked_migration_connection
from ledger.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    shared = context.config.attributes.get("connection")
    if isinstance(shared, Connection):
        _run(shared)
    else:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("set sqlalchemy.url or call ledger.storage.migrate(url)")
        with locked_migration_connection(url) as connection:
            _run(connection)
