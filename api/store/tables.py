"""The service's own tables (SQLAlchemy Core), beside the ledger's.

Three groups, kept apart from the hashed record:

- **staff**: ``staff_users``, ``staff_credentials`` (API tokens and login sessions, stored as
  SHA-256 of the secret), ``login_throttle`` (failed-login counters per user name);
- **read models** (``rm_*``): lookups derived from the log by :mod:`api.store.projection`;
  they can be dropped and rebuilt from the entries at any time;
- **personal data**: ``complaint_personal`` holds complaint text and contact details,
  ``complaint_notes`` the inspectorate's notes on a complaint's status updates, outside
  the log and erasable (UU PDP No. 27/2022); the log holds salted commitments only.

Migration ``0002_service`` creates these tables; ``0003_complaint_notes`` adds
``complaint_notes``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "complaint_notes",
    "complaint_personal",
    "login_throttle",
    "metadata",
    "rm_closings",
    "rm_complaints",
    "rm_counters",
    "rm_cursor",
    "rm_deposits",
    "rm_offices",
    "rm_receipts",
    "staff_credentials",
    "staff_users",
]

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("office", String(64)),
    Column("password_hash", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("added_seq", BigInteger),
)

staff_credentials = Table(
    "staff_credentials",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("staff_users.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("revoked_at", BigInteger),
    Index("ix_staff_credentials_user_id", "user_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("next_allowed_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
)

rm_cursor = Table(
    "rm_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("next_seq", BigInteger, nullable=False),
)

rm_offices = Table(
    "rm_offices",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("area", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
)

rm_counters = Table(
    "rm_counters",
    metadata,
    Column("office", String(64), primary_key=True),
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
)

rm_receipts = Table(
    "rm_receipts",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("receipt_no", String(64), nullable=False, unique=True),
    Column("short_code", String(32), nullable=False, unique=True),
    Column("office", String(64), nullable=False),
    Column("counter", String(16), nullable=False),
    Column("by_user", String(32), nullable=False),
    Column("service", String(64), nullable=False),
    Column("charged", BigInteger, nullable=False),
    Column("official_fee", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("void_seq", BigInteger),
    Column("void_at", BigInteger),
    Column("void_day", String(10)),
    Index("ix_rm_receipts_office_counter_day", "office", "counter", "day"),
    Index("ix_rm_receipts_office_counter_void_day", "office", "counter", "void_day"),
)

rm_closings = Table(
    "rm_closings",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("office", String(64), nullable=False),
    Column("counter", String(16), nullable=False),
    Column("day", String(10), nullable=False),
    Column("count", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("voids", Integer, nullable=False),
    Column("void_total", BigInteger, nullable=False),
    Column("net", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    UniqueConstraint("office", "counter", "day", name="uq_rm_closings_office_counter_day"),
)

rm_deposits = Table(
    "rm_deposits",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("office", String(64), nullable=False),
    Column("sts_no", String(64), nullable=False, unique=True),
    Column("bank_ref", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("period_from", String(10), nullable=False),
    Column("period_to", String(10), nullable=False),
    Column("counters", Text, nullable=False),
    Column("deposited_at", BigInteger, nullable=False),
)

rm_complaints = Table(
    "rm_complaints",
    metadata,
    Column("tracking_no", String(32), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("receipt_seq", BigInteger),
    Column("status", String(16), nullable=False),
    Column("filed_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

complaint_personal = Table(
    "complaint_personal",
    metadata,
    Column("tracking_no", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("text_salt", String(32), nullable=False),
    Column("contact", Text),
    Column("contact_salt", String(32)),
    Column("created_at", BigInteger, nullable=False),
)

complaint_notes = Table(
    "complaint_notes",
    metadata,
    # The note's salted commitment, as in the complaint.updated entry that names it.
    Column("commitment", String(64), primary_key=True),
    Column("tracking_no", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("note_salt", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_complaint_notes_tracking_no", "tracking_no"),
)
