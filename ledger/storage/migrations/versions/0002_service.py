"""The service's tables: staff, credentials, login throttling, read models, complaint data.

Kept apart from the ledger's tables: none of these is hashed or signed. The read models
(``rm_*``) are derived from the log and may be rebuilt; ``complaint_personal`` holds
personal data that can be erased without touching the log (UU PDP No. 27/2022).

Revision ID: 0002_service
Revises: 0001_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_service"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("office", sa.String(64)),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
        sa.Column("added_seq", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("username", name="uq_staff_users_username"),
    )
    op.create_table(
        "staff_credentials",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_used_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_staff_credentials"),
        sa.UniqueConstraint("token_hash", name="uq_staff_credentials_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name="fk_staff_credentials_user_id_staff_users",
        ),
    )
    op.create_index("ix_staff_credentials_user_id", "staff_credentials", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("next_allowed_at", sa.BigInteger, nullable=False),
        sa.Column("locked_until", sa.BigInteger),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_login_throttle"),
    )
    op.create_table(
        "rm_cursor",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("next_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_rm_cursor"),
    )
    # The read models start empty: projected up to entry 0.
    op.execute(sa.text("INSERT INTO rm_cursor (name, next_seq) VALUES ('main', 0)"))
    op.create_table(
        "rm_offices",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_rm_offices"),
    )
    op.create_table(
        "rm_counters",
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("office", "code", name="pk_rm_counters"),
    )
    op.create_table(
        "rm_receipts",
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("receipt_no", sa.String(64), nullable=False),
        sa.Column("short_code", sa.String(32), nullable=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("by_user", sa.String(32), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("charged", sa.BigInteger, nullable=False),
        sa.Column("official_fee", sa.BigInteger, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("void_seq", sa.BigInteger),
        sa.Column("void_at", sa.BigInteger),
        sa.Column("void_day", sa.String(10)),
        sa.PrimaryKeyConstraint("seq", name="pk_rm_receipts"),
        sa.UniqueConstraint("receipt_no", name="uq_rm_receipts_receipt_no"),
        sa.UniqueConstraint("short_code", name="uq_rm_receipts_short_code"),
    )
    op.create_index(
        "ix_rm_receipts_office_counter_day", "rm_receipts", ["office", "counter", "day"]
    )
    op.create_index(
        "ix_rm_receipts_office_counter_void_day",
        "rm_receipts",
        ["office", "counter", "void_day"],
    )
    op.create_table(
        "rm_closings",
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("voids", sa.Integer, nullable=False),
        sa.Column("void_total", sa.BigInteger, nullable=False),
        sa.Column("net", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_rm_closings"),
        sa.UniqueConstraint("office", "counter", "day", name="uq_rm_closings_office_counter_day"),
    )
    op.create_table(
        "rm_deposits",
        sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("sts_no", sa.String(64), nullable=False),
        sa.Column("bank_ref", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("period_from", sa.String(10), nullable=False),
        sa.Column("period_to", sa.String(10), nullable=False),
        sa.Column("counters", sa.Text, nullable=False),
        sa.Column("deposited_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_rm_deposits"),
        sa.UniqueConstraint("sts_no", name="uq_rm_deposits_sts_no"),
    )
    op.create_table(
        "rm_complaints",
        sa.Column("tracking_no", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("receipt_seq", sa.BigInteger),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("tracking_no", name="pk_rm_complaints"),
        sa.UniqueConstraint("seq", name="uq_rm_complaints_seq"),
    )
    op.create_table(
        "complaint_personal",
        sa.Column("tracking_no", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_salt", sa.String(32), nullable=False),
        sa.Column("contact", sa.Text),
        sa.Column("contact_salt", sa.String(32)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("tracking_no", name="pk_complaint_personal"),
    )


def downgrade() -> None:
    for table in (
        "complaint_personal",
        "rm_complaints",
        "rm_deposits",
        "rm_closings",
        "rm_receipts",
        "rm_counters",
        "rm_offices",
        "rm_cursor",
        "login_throttle",
    ):
        op.drop_table(table)
    op.drop_index("ix_staff_credentials_user_id", table_name="staff_credentials")
    op.drop_table("staff_credentials")
    op.drop_table("staff_users")
