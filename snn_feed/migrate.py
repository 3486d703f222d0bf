"""Bring the database schema to the newest Alembic revision.

The migration scripts live in the top-level `migrations/` folder of a checkout and are shipped
as `snn_feed/migrations` inside the wheel; this module finds whichever is there.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

PACKAGE_DIR = Path(__file__).resolve().parent


def migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the installed package, or beside it in a checkout."""
    for candidate in (PACKAGE_DIR / "migrations", PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("snn-feed's migrations folder is missing from this installation")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (idempotent: nothing to do is a no-op)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this installation ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir())).get_current_head()
