"""Bring the database schema to the newest Alembic revision.

The migration scripts live in the top-level `migrations/` folder of a checkout and are shipped
as `snn_feed/migrations` inside the wheel; this module finds whichever is there.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # snn_feed/, not snn_feed/store/
_ASSIGNMENT = re.compile(
    r"""^(revision|down_revision)\b[^=\n]*=\s*(?:["']([^"'\n]+)["']|None)\s*$""", re.MULTILINE
)


def migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the installed package, or beside it in a checkout."""
    for candidate in (PACKAGE_DIR / "migrations", PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("snn-feed's migrations folder is missing from this installation")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (idempotent: nothing to do is a no-op)."""
    # A database already at the head is opened without loading Alembic at all: importing and
    # configuring it costs more than every other start-up step of `snn-feed status`.
    if revision == "head" and (head := scripted_head()) and current_revision(engine) == head:
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


def scripted_head() -> str | None:
    """The newest revision, read from the scripts' `revision = ...` and `down_revision = ...`
    lines without importing Alembic (a test holds it to Alembic's answer). None when that
    reading is not plain (a merge of branches, say): then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str | None] = set()
    for script in (migrations_dir() / "versions").glob("*.py"):
        lines = script.read_text(encoding="utf-8")
        found = {name: value or None for name, value in _ASSIGNMENT.findall(lines)}
        if set(found) != {"revision", "down_revision"} or found["revision"] is None:
            return None
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str | None:
    """The newest revision this installation ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir())).get_current_head()
