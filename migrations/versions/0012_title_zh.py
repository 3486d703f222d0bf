"""the Chinese title of each paper

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 20:00:00

`[translate] titles` translates titles through the same engines and cache as abstracts; the
answer is kept beside the abstract's. Papers stored before have none (NULL), which is what a
paper whose title was never asked for has: the log shows its English title.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_zh", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_column("title_zh")
