"""summaries of papers (`[summary]`), the tokens spent on them per day, and the digests that
told of a summary made after its paper's digest

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 07:00:00

A summary is kept per paper and per key (the abstract, model, prompt version and glossary
version it was made from), so one is never paid for twice; a row without a text is a paper
whose answers were refused, with its attempts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "summaries",
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("tldr", sa.Text(), nullable=True),
        sa.Column("points", sa.JSON(), nullable=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("made_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("arxiv_id", "key"),
    )
    op.create_table(
        "summary_usage",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("topic_papers") as batch:
        batch.add_column(sa.Column("summary_notice_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("late", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("late")
    with op.batch_alter_table("topic_papers") as batch:
        batch.drop_column("summary_notice_id")
    op.drop_table("summary_usage")
    op.drop_table("summaries")
