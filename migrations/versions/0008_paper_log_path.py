"""the log each paper was written to

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing written and committed papers are left without a log here: the migration cannot
    # know the configured one. The next sync claims them for the log it writes
    # (Store.claim_unplaced), which is the log they were written to unless the config changed.
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_path", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_column("log_path")
