"""The inspectorate's notes on complaint status updates, kept outside the log.

A ``complaint.updated`` entry carries only ``note_commitment`` (a salted SHA-256 of the
note); the note itself and its salt live in ``complaint_notes`` and can be erased without
touching the log (UU PDP No. 27/2022), like ``complaint_personal``.

Revision ID: 0003_complaint_notes
Revises: 0002_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_complaint_notes"
down_revision = "0002_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_notes",
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("tracking_no", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("note_salt", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("commitment", name="pk_complaint_notes"),
    )
    op.create_index("ix_complaint_notes_tracking_no", "complaint_notes", ["tracking_no"])


def downgrade() -> None:
    op.drop_index("ix_complaint_notes_tracking_no", table_name="complaint_notes")
    op.drop_table("complaint_notes")
