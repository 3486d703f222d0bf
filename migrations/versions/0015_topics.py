"""several topics: each paper's score and place in a log per topic, each topic's search window,
imported entries and digests by topic

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:00:00

What the papers table held of a paper's log (its score, state, origin, month, commit, digest)
moves to `topic_papers`, under the topic `default`: the one topic of a config without
`[[topics]]`. A config that names its topics takes it over with `renamed_from = ["default"]`.
The papers table keeps what a paper is (arXiv's metadata, its translation, its code link),
stored once whatever the topics that found it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DEFAULT = "default"
MOVED = ["score", "state", "origin", "written_at", "log_month", "committed_at", "commit_sha",
         "log_path", "notice_id"]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "topic_papers",
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), server_default="sync", nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=True),
        sa.Column("log_month", sa.String(length=16), nullable=True),
        sa.Column("committed_at", sa.DateTime(), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["arxiv_id"], ["papers.arxiv_id"]),
        sa.PrimaryKeyConstraint("topic", "arxiv_id"),
    )
    op.create_index("ix_topic_papers_state", "topic_papers", ["state"])
    op.create_index("ix_topic_papers_notice_id", "topic_papers", ["notice_id"])
    columns = ", ".join(MOVED)
    op.execute(
        f"INSERT INTO topic_papers (topic, arxiv_id, {columns}) "
        f"SELECT '{DEFAULT}', arxiv_id, {columns} FROM papers"
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index("ix_papers_state")
        batch_op.drop_index("ix_papers_notice_id")
        for column in MOVED:
            batch_op.drop_column(column)

    op.create_table(
        "topic_windows",
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("topic"),
    )
    # The one topic so far read the windows its runs recorded.
    op.execute(
        f"INSERT INTO topic_windows (topic, window_end, updated_at) "
        f"SELECT '{DEFAULT}', last.w, last.w FROM (SELECT MAX(window_end) AS w FROM sync_runs) "
        "AS last WHERE last.w IS NOT NULL"
    )

    # Imported entries belong to the log of a topic: a new table, as the key changes.
    _rebuild_entries(with_topic=True)

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=64), nullable=True))
    op.execute(f"UPDATE notices SET topic = '{DEFAULT}' WHERE kind = 'digest'")


_ENTRY_COLUMNS = "key, arxiv_id, title, norm_title, section, line, text, resolution, imported_at"


def _entries_table(name: str, *, with_topic: bool) -> None:
    topic = [sa.Column("topic", sa.String(length=64), nullable=False)] if with_topic else []
    op.create_table(
        name,
        *topic,
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("norm_title", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(*(["topic"] if with_topic else []), "key", name=f"pk_{name}"),
    )


def _rebuild_entries(*, with_topic: bool) -> None:
    """`log_entries` made again with (or without) its topic column, its rows copied (only the
    `default` topic's fit a table without one)."""
    name = "log_entries_by_topic" if with_topic else "log_entries_single"
    _entries_table(name, with_topic=with_topic)
    into, source, where = (
        ("topic, ", f"'{DEFAULT}', ", "") if with_topic else ("", "", f" WHERE topic = '{DEFAULT}'")
    )
    op.execute(
        f"INSERT INTO {name} ({into}{_ENTRY_COLUMNS}) "
        f"SELECT {source}{_ENTRY_COLUMNS} FROM log_entries{where}"
    )
    op.drop_table("log_entries")
    op.rename_table(name, "log_entries")
    op.create_index("ix_log_entries_arxiv_id", "log_entries", ["arxiv_id"])
    op.create_index("ix_log_entries_norm_title", "log_entries", ["norm_title"])


def downgrade() -> None:
    # Only the `default` topic fits the old single-topic tables; other topics' rows are lost.
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("topic")

    _rebuild_entries(with_topic=False)

    op.drop_table("topic_windows")

    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="skipped")
        )
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="sync", nullable=False)
        )
        batch_op.add_column(sa.Column("written_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("log_month", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("committed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("commit_sha", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("log_path", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_papers_state", ["state"])
        batch_op.create_index("ix_papers_notice_id", ["notice_id"])
    for column in MOVED:
        op.execute(
            f"UPDATE papers SET {column} = (SELECT t.{column} FROM topic_papers t "
            f"WHERE t.arxiv_id = papers.arxiv_id AND t.topic = '{DEFAULT}') "
            f"WHERE arxiv_id IN (SELECT arxiv_id FROM topic_papers WHERE topic = '{DEFAULT}')"
        )
    op.drop_index("ix_topic_papers_notice_id", table_name="topic_papers")
    op.drop_index("ix_topic_papers_state", table_name="topic_papers")
    op.drop_table("topic_papers")
