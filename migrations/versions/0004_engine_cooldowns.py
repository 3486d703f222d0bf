"""engine cooldowns

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:46:55.486823
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_cooldowns",
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("engine"),
    )


def downgrade() -> None:
    op.drop_table("engine_cooldowns")
