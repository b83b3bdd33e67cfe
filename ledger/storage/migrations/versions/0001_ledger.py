"""The ledger: entries, Merkle nodes, checkpoints, idempotency keys, attachments, number series.

Revision ID: 0001_ledger
Revises: none

Creates the head row (an empty log) and the triggers that make the log tables
append-only. Triggers are a guard against mistakes, not the integrity guarantee: an owner
can drop them, which is why every tree head is signed and audited (docs/storage.md).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision: str = "0001_ledger"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

#: RFC 9162 §2.1.1: the root of the empty tree.
_EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Append-only tables and the noun their refusal message uses.
APPEND_ONLY = {
    "entries": "entries",
    "merkle_nodes": "merkle nodes",
    "checkpoints": "checkpoints",
    "attachments": "attachments",
    "idempotency": "idempotency keys",
}


def _seq() -> sa.types.TypeEngine[int]:
    # INTEGER on SQLite so that an integer primary key is the rowid; BIGINT elsewhere.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _create_tables() -> None:
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("origin", sa.String(255)),
        sa.Column("size", _seq(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("last_leaf", sa.LargeBinary(32), nullable=False),
        sa.Column("frontier", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("size >= 0", name="size_non_negative"),
    )
    op.create_table(
        "entries",
        sa.Column("seq", _seq(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("prev", sa.LargeBinary(32), nullable=False, unique=True),
        sa.CheckConstraint("seq >= 0", name="seq_non_negative"),
        sa.CheckConstraint("length(leaf_hash) = 32", name="leaf_hash_size"),
        sa.CheckConstraint("length(prev) = 32", name="prev_size"),
    )
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.CheckConstraint("level >= 0 AND level < 64", name="level_range"),
        sa.CheckConstraint("idx >= 0", name="idx_non_negative"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "checkpoints",
        sa.Column("size", _seq(), primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("size >= 0", name="size_non_negative"),
    )
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_digest", sa.LargeBinary, nullable=False),
        sa.Column("seq", sa.BigInteger, sa.ForeignKey("entries.seq"), nullable=False),
    )
    op.create_table(
        "attachments",
        sa.Column(
            "seq",
            sa.BigInteger,
            sa.ForeignKey("entries.seq"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "number_series",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("last_value", sa.BigInteger, nullable=False),
        sa.CheckConstraint("last_value >= 0", name="last_value_non_negative"),
    )
    head = sa.table(
        "log_head",
        sa.column("id", sa.Integer),
        sa.column("size", sa.BigInteger),
        sa.column("root", sa.LargeBinary),
        sa.column("last_leaf", sa.LargeBinary),
        sa.column("frontier", sa.LargeBinary),
    )
    op.bulk_insert(
        head,
        [{"id": 1, "size": 0, "root": _EMPTY_ROOT, "last_leaf": bytes(32), "frontier": b""}],
    )


def _sqlite_triggers() -> list[str]:
    # SQLite "CREATE TRIGGER": RAISE(ABORT, …) undoes the statement and reports the message.
    out: list[str] = []
    for table, noun in APPEND_ONLY.items():
        for op_name in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{noun} are append-only: {op_name} refused'); END"
            )
    out += [
        "CREATE TRIGGER log_head_no_delete BEFORE DELETE ON log_head "
        "BEGIN SELECT RAISE(ABORT, 'the log head row cannot be deleted'); END",
        "CREATE TRIGGER log_head_no_shrink BEFORE UPDATE ON log_head "
        "WHEN NEW.size < OLD.size "
        "BEGIN SELECT RAISE(ABORT, 'the log cannot shrink: size may only grow'); END",
        "CREATE TRIGGER number_series_no_delete BEFORE DELETE ON number_series "
        "BEGIN SELECT RAISE(ABORT, 'number series are gapless: DELETE refused'); END",
        "CREATE TRIGGER number_series_no_rewind BEFORE UPDATE ON number_series "
        "WHEN NEW.last_value < OLD.last_value OR NEW.name <> OLD.name "
        "BEGIN SELECT RAISE(ABORT, 'number series only count up'); END",
    ]
    return out


def _postgresql_triggers() -> list[str]:
    # PL/pgSQL trigger functions; restrict_violation (SQLSTATE 23001) is an integrity error.
    out = [
        """
        CREATE FUNCTION bukti_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% are append-only: % refused', TG_ARGV[0], TG_OP
                USING ERRCODE = 'restrict_violation';
        END
        $$
        """,
        """
        CREATE FUNCTION bukti_log_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION 'the log head row cannot be removed (% refused)', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END IF;
            IF NEW.size < OLD.size THEN
                RAISE EXCEPTION 'the log cannot shrink: size may only grow (% -> %)',
                    OLD.size, NEW.size USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE FUNCTION bukti_number_series_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION 'number series are gapless: % refused', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END IF;
            IF NEW.last_value < OLD.last_value OR NEW.name <> OLD.name THEN
                RAISE EXCEPTION 'number series only count up (% -> %)',
                    OLD.last_value, NEW.last_value USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
    ]
    for table, noun in APPEND_ONLY.items():
        out += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION bukti_refuse_change('{noun}')",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION bukti_refuse_change('{noun}')",
        ]
    out += [
        "CREATE TRIGGER log_head_guard BEFORE UPDATE OR DELETE ON log_head "
        "FOR EACH ROW EXECUTE FUNCTION bukti_log_head_guard()",
        "CREATE TRIGGER log_head_no_truncate BEFORE TRUNCATE ON log_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION bukti_log_head_guard()",
        "CREATE TRIGGER number_series_guard BEFORE UPDATE OR DELETE ON number_series "
        "FOR EACH ROW EXECUTE FUNCTION bukti_number_series_guard()",
        "CREATE TRIGGER number_series_no_truncate BEFORE TRUNCATE ON number_series "
        "FOR EACH STATEMENT EXECUTE FUNCTION bukti_number_series_guard()",
    ]
    return out


def upgrade() -> None:
    _create_tables()
    dialect = op.get_context().dialect.name
    statements = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the log would destroy the evidence it exists to keep; there is no way back.
    raise RuntimeError(
        "revision 0001_ledger cannot be downgraded: it would drop the append-only log"
    )
