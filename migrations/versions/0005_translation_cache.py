"""translation cache

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 18:55:33.297720
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("abstract_sha", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("glossary_version", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("arxiv_id", "abstract_sha", "engine", "glossary_version"),
    )


def downgrade() -> None:
    op.drop_table("translations")
