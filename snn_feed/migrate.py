"""Bring the database schema to the newest Alembic revision.

The migration scripts live in the top-level `migrations/` folder of a checkout and are shipped
as `snn_feed/migrations` inside the wheel; this module finds whichever is there.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

PACKAGE_DIR = Path(__file__).resolve().parent
HEAD_REVISION = "0005"
"""The newest revision in `migrations/versions` (a test holds it to Alembic's own answer).
A database already there is opened without loading Alembic at all: importing and configuring
it costs more than every other start-up step of `snn-feed status`."""


def migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the installed package, or beside it in a checkout."""
    for candidate in (PACKAGE_DIR / "migrations", PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("snn-feed's migrations folder is missing from this installation")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (idempotent: nothing to do is a no-op)."""
    if revision == "head" and current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        # Alembic's own table, read directly; our history has no branches, so one row.
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    """The newest revision this installation ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir())).get_current_head()
