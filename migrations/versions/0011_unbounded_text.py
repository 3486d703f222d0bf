"""text from outside has no length limit: titles, headings, URLs, validators, paths

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:00:00

PostgreSQL enforces VARCHAR(n) (a month heading over 64 characters or a title over 512
failed `import` with StringDataRightTruncation); SQLite never did. Every column holding text
that arrives from outside (arXiv, the log, a feed server, the configuration) becomes TEXT;
identifiers snn-feed makes itself keep their lengths. On SQLite, where VARCHAR(n) has TEXT's
affinity and no limit, nothing changes: copying five tables there would only cost time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = {
    "papers": {"primary_category": 64, "doi": 255, "code_url": 255},
    "log_entries": {"key": 512, "norm_title": 512, "section": 64},
    "feed_checks": {"url": 1000, "etag": 255, "last_modified": 64},
    "log_state": {"path": 1024},
    "pending_changes": {"log_path": 1024},
}
"""table -> column -> its old length."""


def _enforces_lengths() -> bool:
    return op.get_bind().dialect.name != "sqlite"


def _retype(to_text: bool) -> None:
    """Every column of COLUMNS to TEXT (`to_text`) or back to its old VARCHAR(n)."""
    if not _enforces_lengths():
        return
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, length in columns.items():
                old, new = sa.String(length=length), sa.Text()
                batch_op.alter_column(
                    column, existing_type=old if to_text else new, type_=new if to_text else old
                )


def upgrade() -> None:
    _retype(to_text=True)


def downgrade() -> None:
    _retype(to_text=False)
