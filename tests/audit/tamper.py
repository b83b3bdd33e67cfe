"""What an attacker with the database password can do once the append-only triggers are gone.

Every function here works below the ledger's API, with plain SQL on the ledger's tables,
exactly as a database owner could. The audit must catch each one from the data alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from ledger.merkle import TreeBuilder, leaf_hash

#: Added to seq values while renumbering, so no two rows ever share a primary key.
_SHIFT = 1_000_000_000


def attacker_engine(url: str) -> Engine:
    """A plain engine: on SQLite, foreign keys are off (the service's engine turns them on)."""
    return create_engine(make_url(url))


def drop_triggers(engine: Engine) -> None:
    """Remove every trigger of the schema, as a database owner can."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            for (name,) in names.all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            rows = conn.execute(
                text(
                    "SELECT t.tgname, c.relname FROM pg_trigger t "
                    "JOIN pg_class c ON t.tgrelid = c.oid WHERE NOT t.tgisinternal"
                )
            )
            for name, table in rows.all():
                conn.execute(text(f'DROP TRIGGER "{name}" ON "{table}"'))


def entry_data(engine: Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(
            conn.execute(text("SELECT data FROM entries WHERE seq = :s"), {"s": seq}).scalar_one()
        )


def rewrite_entry(engine: Engine, seq: int, edit: Callable[[bytes], bytes]) -> bytes:
    """Replace the stored bytes of entry ``seq`` (columns other than ``data`` untouched)."""
    data = edit(entry_data(engine, seq))
    with engine.begin() as conn:
        conn.execute(text("UPDATE entries SET data = :d WHERE seq = :s"), {"d": data, "s": seq})
    return data


def change_one_digit(data: bytes, field: str) -> bytes:
    """Change the first digit of integer field ``field`` (still canonical JSON)."""
    marker = f'"{field}":'.encode()
    pos = data.index(marker) + len(marker)
    digit = data[pos : pos + 1]
    replacement = b"9" if digit != b"9" else b"8"
    return data[:pos] + replacement + data[pos + 1 :]


def delete_entry(engine: Engine, seq: int) -> None:
    with engine.begin() as conn:
        for table in ("attachments", "idempotency", "entries"):
            conn.execute(text(f"DELETE FROM {table} WHERE seq = :s"), {"s": seq})


def _shift(conn: Connection, first: int, by: int) -> None:
    """Renumber every row from ``first`` on by ``by`` (in two passes, never colliding)."""
    for table in ("entries", "attachments", "idempotency"):
        conn.execute(
            text(f"UPDATE {table} SET seq = seq + :big WHERE seq >= :f"),
            {"big": _SHIFT, "f": first},
        )
        conn.execute(
            text(f"UPDATE {table} SET seq = seq - :back WHERE seq >= :big"),
            {"back": _SHIFT - by, "big": _SHIFT},
        )


def insert_entry(engine: Engine, seq: int, data: bytes) -> None:
    """Insert ``data`` at ``seq``, moving the entries from there on one place up."""
    value = json.loads(data)
    with engine.begin() as conn:
        _shift(conn, seq, 1)
        conn.execute(
            text(
                "INSERT INTO entries (seq, kind, at, data, leaf_hash, prev) "
                "VALUES (:s, :k, :a, :d, :l, :p)"
            ),
            {
                "s": seq,
                "k": value["kind"],
                "a": value["at"],
                "d": data,
                "l": leaf_hash(data),
                # The column is free text to the attacker; UNIQUE(prev) only needs a new value.
                "p": hashlib.sha256(b"forged" + data).digest(),
            },
        )


def swap_entries(engine: Engine, first: int, second: int) -> None:
    """Exchange the bytes (and kind, time) of two stored entries."""
    with engine.begin() as conn:
        rows = {
            seq: conn.execute(
                text("SELECT kind, at, data FROM entries WHERE seq = :s"), {"s": seq}
            ).one()
            for seq in (first, second)
        }
        for seq, other in ((first, second), (second, first)):
            kind, at, data = rows[other]
            conn.execute(
                text("UPDATE entries SET kind = :k, at = :a, data = :d WHERE seq = :s"),
                {"k": kind, "a": at, "d": bytes(data), "s": seq},
            )


def truncate(engine: Engine, size: int, *, keep_checkpoints: bool) -> None:
    """Cut the log back to ``size`` entries and make the head row agree, so the store
    appends after it again. With ``keep_checkpoints`` the larger signed checkpoints stay."""
    with engine.begin() as conn:
        for table in ("attachments", "idempotency", "entries"):
            conn.execute(text(f"DELETE FROM {table} WHERE seq >= :s"), {"s": size})
        if not keep_checkpoints:
            conn.execute(text("DELETE FROM checkpoints WHERE size > :s"), {"s": size})
        datas = [
            bytes(d) for (d,) in conn.execute(text("SELECT data FROM entries ORDER BY seq")).all()
        ]
        builder = TreeBuilder()
        for data in datas:
            builder.append(leaf_hash(data))
        nodes = conn.execute(text("SELECT level, idx FROM merkle_nodes")).all()
        for level, idx in nodes:
            if (idx + 1) << level > size:
                conn.execute(
                    text("DELETE FROM merkle_nodes WHERE level = :l AND idx = :i"),
                    {"l": level, "i": idx},
                )
        conn.execute(
            text(
                "UPDATE log_head SET size = :s, root = :r, last_leaf = :l, frontier = :f "
                "WHERE id = 1"
            ),
            {
                "s": size,
                "r": builder.root(),
                "l": leaf_hash(datas[-1]),
                "f": b"".join(builder.frontier),
            },
        )


def attachment(engine: Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(
            conn.execute(
                text("SELECT data FROM attachments WHERE seq = :s AND name = 'receipt.cose'"),
                {"s": seq},
            ).scalar_one()
        )


def replace_attachment(engine: Engine, seq: int, data: bytes) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE attachments SET data = :d WHERE seq = :s AND name = 'receipt.cose'"),
            {"d": data, "s": seq},
        )


def checkpoint_note(engine: Engine, size: int) -> bytes:
    with engine.connect() as conn:
        return bytes(
            conn.execute(
                text("SELECT note FROM checkpoints WHERE size = :s"), {"s": size}
            ).scalar_one()
        )


def replace_checkpoint(engine: Engine, size: int, note: bytes) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE checkpoints SET note = :n WHERE size = :s"), {"n": note, "s": size}
        )
