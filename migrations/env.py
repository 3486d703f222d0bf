"""Alembic environment: runs on the connection snn-feed hands over, or on `sqlalchemy.url`
from alembic.ini when a developer runs `alembic` by hand."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from snn_feed.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        # Each migration and its revision in one transaction: a migration killed halfway leaves
        # the revision before it. SQLite's DDL is transactional once snn-feed, not pysqlite,
        # emits BEGIN (store.engine.ddl_transactions), which Alembic does not assume.
        transaction_per_migration=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
