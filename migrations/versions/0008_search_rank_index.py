"""catalogue: narrow index for ranking search matches

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:42:48.198021
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain CREATE INDEX (no batch mode): recreating the table on SQLite would drop its FTS triggers.
    op.create_index(
        "ix_procedures_search_rank",
        "procedures",
        ["id", "code", "search_name", "sector_id", "agency_id", "level"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_procedures_search_rank", table_name="procedures")
