"""records: dossiers and their LGSP status events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("citizen_national_id", sa.String(length=12), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("agency_code", sa.String(length=32), nullable=True),
        sa.Column("procedure_name", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_occurred_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_event_id", sa.String(length=100), nullable=False),
        sa.Column("received_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified_due_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("code", name=op.f("uq_dossiers_code")),
    )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossiers_citizen_national_id"), ["citizen_national_id"], unique=False
        )
        batch_op.create_index("ix_dossiers_due_at", ["due_at"], unique=False)
        batch_op.create_index(
            "ix_dossiers_national_id_received", ["citizen_national_id", "received_at"], unique=False
        )

    op.create_table(
        "dossier_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("occurred_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_events_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_dossier_events_event_id")),
    )
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dossier_events_dossier_occurred", ["dossier_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dossier_events", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_events_dossier_occurred")
    op.drop_table("dossier_events")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_national_id_received")
        batch_op.drop_index("ix_dossiers_due_at")
        batch_op.drop_index(batch_op.f("ix_dossiers_citizen_national_id"))
    op.drop_table("dossiers")
