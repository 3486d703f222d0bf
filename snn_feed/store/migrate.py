"""Bring the database schema to the newest Alembic revision.

The migration scripts live in the top-level `migrations/` folder of a checkout and are shipped
as `snn_feed/migrations` inside the wheel; this module finds whichever is there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from snn_feed import __version__
from snn_feed.errors import DatabaseError
from snn_feed.store.engine import ddl_transactions, describe, migration_lock

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
    """Apply every migration up to `revision` (idempotent: nothing to do is a no-op).

    Under the migration lock, and each migration in a transaction of its own together with
    its revision: a migration killed or failing halfway leaves the revision before it, and a
    command that waited for another's migration finds nothing left to do."""
    # A database already at the head is opened without loading Alembic at all: importing and
    # configuring it costs more than every other start-up step of `snn-feed status`.
    head = scripted_head()
    current = current_revision(engine)
    if revision == "head" and head and current == head:
        return
    _refuse_newer(engine, current, head)
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with migration_lock(engine), engine.connect() as connection:
        config.attributes["connection"] = ddl_transactions(connection)
        try:
            command.upgrade(config, revision)
        except CommandError as err:  # a revision Alembic cannot place, when we could not either
            where = describe(engine.url)
            raise DatabaseError(f"cannot migrate the database {where}: {err}", where=where) from err


def check_tables(engine: Engine, names: Iterable[str]) -> None:
    """Fail in one line, before any work, when a table of the schema is missing (dropped by
    hand, or a file edited): a run would otherwise stop halfway at its first use."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
    if missing := sorted(set(names) - present):
        where = describe(engine.url)
        raise DatabaseError(
            f"the database {where} has no table {', '.join(missing)} although it is at revision "
            f"{current_revision(engine)}: restore the file from a backup",
            where=where,
        )


def _refuse_newer(engine: Engine, current: str | None, head: str | None) -> None:
    """A database a newer snn-feed migrated: say so, rather than Alembic's "Can't locate"."""
    if current is None or head is None or current in scripted_revisions():
        return
    where = describe(engine.url)
    raise DatabaseError(
        f"the database {where} is at revision {current}, newer than this snn-feed "
        f"{__version__} knows (its newest is {head}): upgrade snn-feed",
        where=where,
    )


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        # Alembic's own table, read directly; our history has no branches, so one row.
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def scripted_revisions() -> set[str]:
    """Every revision the scripts define, read as `scripted_head` reads them."""
    return {
        found[1]
        for script in (migrations_dir() / "versions").glob("*.py")
        for found in _ASSIGNMENT.findall(script.read_text(encoding="utf-8"))
        if found[0] == "revision" and found[1]
    }


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
