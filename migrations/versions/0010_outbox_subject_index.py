"""outbox index for the app-webhook relay (feedback events in id order)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 19:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_events_subject_type_id", "outbox_events", ["subject_type", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_events_subject_type_id", table_name="outbox_events")
