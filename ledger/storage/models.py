"""The ledger's tables as SQLAlchemy 2 typed models.

These are database rows, nothing more: the hashed record is the ``data`` blob of
:class:`EntryRow` (canonical RFC 8785 bytes, never re-serialized from columns) and the
API schema lives elsewhere. The migration ``0001_ledger`` creates exactly these tables
plus the append-only triggers; ``Base.metadata`` is the Alembic autogenerate target.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AttachmentRow",
    "Base",
    "CheckpointRow",
    "EntryRow",
    "IdempotencyRow",
    "LogHeadRow",
    "MerkleNodeRow",
    "NumberSeriesRow",
    "SeqInteger",
]

#: 64-bit on PostgreSQL; on SQLite ``INTEGER`` so a primary key is the rowid itself.
SeqInteger = BigInteger().with_variant(Integer(), "sqlite")

#: Constraint names are explicit so later migrations can refer to them on both backends.
NAMING = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class LogHeadRow(Base):
    """The single head row every append locks: size, root, chain tip and tree frontier."""

    __tablename__ = "log_head"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("size >= 0", name="size_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Checkpoint origin, fixed by the first append; a store for another origin is refused.
    origin: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(SeqInteger, nullable=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    #: Leaf hash of entry ``size - 1`` (32 zero bytes when empty): the next entry's ``prev``.
    last_leaf: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    #: Concatenated hashes of the perfect subtrees of ``[0, size)``, left to right.
    frontier: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class EntryRow(Base):
    """One log entry: its canonical bytes and the hashes that chain it."""

    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("seq >= 0", name="seq_non_negative"),
        CheckConstraint("length(leaf_hash) = 32", name="leaf_hash_size"),
        CheckConstraint("length(prev) = 32", name="prev_size"),
    )

    seq: Mapped[int] = mapped_column(SeqInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    #: UNIQUE: two entries can never claim the same predecessor — a cheap fork guard.
    prev: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)


class MerkleNodeRow(Base):
    """The hash of the perfect subtree ``[idx * 2**level, (idx + 1) * 2**level)``."""

    __tablename__ = "merkle_nodes"
    __table_args__ = (
        CheckConstraint("level >= 0 AND level < 64", name="level_range"),
        CheckConstraint("idx >= 0", name="idx_non_negative"),
        {"sqlite_with_rowid": False},
    )

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class CheckpointRow(Base):
    """Every signed checkpoint the log ever issued (C2SP signed note bytes)."""

    __tablename__ = "checkpoints"
    __table_args__ = (CheckConstraint("size >= 0", name="size_non_negative"),)

    size: Mapped[int] = mapped_column(SeqInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    note: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class IdempotencyRow(Base):
    """A client's idempotency key, the digest of its request, and the entry it produced."""

    __tablename__ = "idempotency"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, ForeignKey("entries.seq"), nullable=False)


class AttachmentRow(Base):
    """A named blob kept beside an entry (e.g. the signed COSE receipt of ``receipt.issued``)."""

    __tablename__ = "attachments"

    seq: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("entries.seq"), primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class NumberSeriesRow(Base):
    """The last number handed out in a gapless series (e.g. receipt numbers per counter)."""

    __tablename__ = "number_series"
    __table_args__ = (CheckConstraint("last_value >= 0", name="last_value_non_negative"),)

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, nullable=False)
