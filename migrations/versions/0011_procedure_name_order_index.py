"""catalogue: procedures in folded-name order, for broad searches on PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 19:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# PostgreSQL only (server/catalog/search.py _walked_ranking): a broad search walks the names in byte order
# to its first page. "_fts" in the name: hand-made, outside the models (server.db.is_hand_made).
NAME = "ix_fts_procedures_name_order"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Covering: the walk reads names in order and tests code and filters without visiting rows.
        op.execute(
            f'CREATE INDEX {NAME} ON procedures (search_name COLLATE "C", id) '
            "INCLUDE (code, sector_id, agency_id, level)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
