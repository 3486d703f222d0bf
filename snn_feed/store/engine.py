"""Everything that depends on the database dialect: opening an engine (SQLite tuned for one
writer and concurrent readers; PostgreSQL as given), timestamps that read back in UTC, the
locks (a command's, for hosts sharing one database; the migrations'), the dialect's upsert,
the transactions migrations run in, and the one-line account of what went wrong."""

from __future__ import annotations

import errno
import re
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic, sleep
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Table,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from snn_feed.errors import BusyError, DatabaseError

MIGRATION_LOCK_SECONDS = 300.0
"""How long a command waits for another one's migration: migrations take seconds."""

_BEGIN_OPTION = "snn_feed_begin"
_PG_LOCK_KEY = 0x736E6E66  # "snnf": the advisory lock every snn-feed migration takes
_PG_COMMAND_KEY = 0x736E6E63  # "snnc": the advisory lock every command that writes holds
_LOCK_POLL_SECONDS = 0.25
# The sessions holding the command lock in this database, each named by its backend pid and
# start time (a pid alone is reused once its session ends). A bigint key shows as classid
# (high half), objid (low half) and objsubid 1.
_HOLDERS = text(
    "SELECT a.pid || '@' || extract(epoch FROM a.backend_start)::text AS session,"
    " a.application_name, a.pid = pg_backend_pid() AS ours"
    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid = 0 AND l.objid = CAST(:key AS oid)"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
_NO_SUCH_TABLE = re.compile(r"no such table: (?:main\.)?(\w+)")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and read back time-zone aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def make_engine(url: str) -> Engine:
    """An engine with SQLite set up for one writer and concurrent readers, whose database
    errors arrive as one-line `DatabaseError`s (no SQL, no parameters)."""
    engine = create_engine(url)
    where = describe(engine.url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            # The wait first: several commands opening a new database at once all switch it to
            # WAL, which needs a moment alone with the file.
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # Only on connections from `ddl_transactions`; the others keep pysqlite's own BEGIN.
            if statement := connection.get_execution_options().get(_BEGIN_OPTION):
                connection.exec_driver_sql(statement)

    @event.listens_for(engine, "handle_error")
    def _one_line(context: ExceptionContext) -> None:
        original = context.original_exception
        if isinstance(context.sqlalchemy_exception, DBAPIError):
            message = explain(original, where, statement=context.statement)
            raise DatabaseError(message, where=where) from original
        if isinstance(original, Exception) and context.sqlalchemy_exception is not None:
            # A value the database layer refused (a bug of ours): its own message, not the
            # statement and parameters SQLAlchemy wraps around it.
            raise original

    return engine


def upsert(
    dialect: str,
    table: Table,
    *,
    update: Sequence[str] = (),
) -> Insert:
    """`INSERT ... ON CONFLICT (primary key)` into `table`, executed with the rows as its
    parameters: a row already there gets the new values of the columns in `update`, or is
    left as it is (`update` empty).

    One statement, so two writers of the same key never both insert: the second waits for the
    first and then updates or skips, where a select-then-insert (`Session.merge`) lets both
    see no row and the second fail on the unique key. PostgreSQL and SQLite (3.24+) spell it
    the same way in SQLAlchemy, each from its own dialect module."""
    statement: Any
    if dialect == "postgresql":
        # Imported here: SQLAlchemy's PostgreSQL dialect (with its asyncpg and pg8000 parts)
        # costs an SQLite command 20 ms of start-up.
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise ValueError(f"snn-feed has no upsert for the {dialect} database")
    keys = [column.name for column in table.primary_key.columns]
    if not update:
        return statement.on_conflict_do_nothing(index_elements=keys)
    new = {name: statement.excluded[name] for name in update}
    return statement.on_conflict_do_update(index_elements=keys, set_=new)


def ddl_transactions(connection: Connection) -> Connection:
    """`connection` with every transaction a real one that DDL takes part in.

    pysqlite begins a transaction only before INSERT, UPDATE or DELETE, so CREATE and ALTER
    TABLE would each be committed on their own and a migration killed halfway would leave
    tables without the revision that made them. Here pysqlite's handling is switched off and
    each transaction starts with BEGIN IMMEDIATE (SQLAlchemy's documented recipe for
    transactional DDL on SQLite; IMMEDIATE takes the write lock at once). PostgreSQL has
    transactional DDL already."""
    if connection.dialect.name != "sqlite":
        return connection
    return connection.execution_options(
        isolation_level="AUTOCOMMIT", **{_BEGIN_OPTION: "BEGIN IMMEDIATE"}
    )


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating, so that commands started together on a new database migrate it
    one after the other: a file lock beside an SQLite file, an advisory lock on PostgreSQL."""
    path = sqlite_path(engine.url)
    if path is not None:
        from filelock import FileLock, Timeout

        lock = FileLock(f"{path}.lock", timeout=MIGRATION_LOCK_SECONDS)
        try:
            lock.acquire()
        except Timeout:
            raise BusyError(
                f"another snn-feed is migrating the database {path}; try again later"
            ) from None
        except OSError as err:
            raise DatabaseError(explain_os(err, str(path)), where=str(path)) from err
        try:
            yield
        finally:
            lock.release()
    elif engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
    else:
        yield


@contextmanager
def command_lock(url: str, timeout: float, holder: str) -> Iterator[str | None]:
    """Held for the whole life of a command that writes, so that hosts sharing one PostgreSQL
    database (each with its own lock file) work one at a time: a session-level advisory lock
    on a connection of its own. Waits up to `timeout` seconds, then raises `BusyError`.

    Yields the lock's session (`pid@start` of its backend), which a run records as its owner:
    while that session lives it holds the lock, and when its process dies PostgreSQL ends the
    session and lets go of the lock, so the next host can take over. `holder` (host and pid)
    is shown to a command that finds the lock taken. Other databases yield None: an SQLite
    file is reached from one host only, and its lock file is enough."""
    if make_url(url).get_backend_name() != "postgresql":
        yield None
        return
    engine = make_engine(url)
    where = describe(engine.url)
    try:
        # Autocommit: the lock is the session's, and no transaction stays open all run long.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT set_config('application_name', :name, false)"),
                               {"name": holder[:63]})  # fmt: skip
            deadline = monotonic() + timeout
            take = text("SELECT pg_try_advisory_lock(:key)")
            while not connection.execute(take, {"key": _PG_COMMAND_KEY}).scalar():
                if (left := deadline - monotonic()) <= 0:
                    others = [r.application_name for r in _holders(connection) if not r.ours]
                    by = f" by {others[0]}" if others and others[0] else ""
                    raise BusyError(
                        f"another snn-feed is working on the database {where} (its lock is "
                        f"held{by}); try again later"
                    )
                sleep(min(left, _LOCK_POLL_SECONDS))
            (session,) = [r.session for r in _holders(connection) if r.ours]
            try:
                yield str(session)
            finally:
                _unlock(connection)
    finally:
        engine.dispose()


def _unlock(connection: Connection) -> None:
    """Let go of the command lock before the session closes. Closing it lets go too, even when
    the connection broke meanwhile (where this fails, quietly), but only once the server has
    seen the client leave: a command started right after this one could find the lock still
    held, and give up as busy."""
    with suppress(DBAPIError, DatabaseError):
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_COMMAND_KEY})


def command_lock_holders(engine: Engine) -> set[str] | None:
    """The sessions holding the command lock now (see `command_lock`), or None when the
    database has no such lock (SQLite: whoever asks holds its lock file)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return {str(r.session) for r in _holders(connection)}


def _holders(connection: Connection) -> list[Any]:
    return list(connection.execute(_HOLDERS, {"key": _PG_COMMAND_KEY}))


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite database (None for other databases and in-memory ones)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)  # type: ignore[arg-type]


def describe(url: URL) -> str:
    """How errors name the database: its file, or its URL without the password."""
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        return str(path) if path is not None else "(in memory)"
    return url.render_as_string(hide_password=True)


def explain(error: BaseException, where: str, *, statement: str | None = None) -> str:
    """What is wrong with the database and what to do about it, in one line: never the SQL or
    its parameters (abstracts, titles), which `--verbose` shows with the driver's own detail.
    `statement` names the table when the driver does not."""
    code = getattr(error, "sqlite_errorname", None) or ""
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or ""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if code in ("SQLITE_FULL", "SQLITE_IOERR_SHMSIZE") or state == "53100":
        return _full(where)
    if code.startswith("SQLITE_IOERR") and _no_room(where):
        return _full(where)  # a write or sync refused by a full disk reads as an I/O error
    if code.startswith("SQLITE_READONLY") or state == "25006":
        return _read_only(where)
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or state.startswith("XX00"):
        return (
            f"the database {where} is damaged: {_integrity(where, message)}; restore the file "
            "from a backup"
        )
    if (table := _NO_SUCH_TABLE.search(message)) or state == "42P01":
        name = table.group(1) if table else "of snn-feed's"
        return (
            f"the database {where} has no table {name}: it was dropped or the file was edited; "
            "restore the file from a backup"
        )
    if code == "SQLITE_CANTOPEN":
        return (
            f"cannot open the database {where}: its folder is missing, read-only or not "
            "writable (SQLite needs to create files beside it)"
        )
    if code.startswith("SQLITE_BUSY"):
        return f"the database {where} stayed locked by another program; try again later"
    if code.startswith("SQLITE_IOERR"):
        return f"cannot read or write the database {where} ({message}): check its disk"
    named = _table(error, statement)
    on = f" in table {named}" if named else ""
    return f"database error on {where}: {type(error).__name__}{on}: {_shorten(message)}"


_STATEMENT_TABLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT\b.*?\bFROM)\s+\"?(\w+)",
    re.IGNORECASE | re.DOTALL,
)


def _table(error: BaseException, statement: str | None) -> str | None:
    """The table an error is about: PostgreSQL says (psycopg's `diag`), or the statement does."""
    diag = getattr(error, "diag", None)
    if name := getattr(diag, "table_name", None):
        return str(name)
    found = _STATEMENT_TABLE.match(statement or "")
    return found.group(1) if found else None


def _shorten(message: str, limit: int = 200) -> str:
    """A driver's first line, cut short: some quote the value they refused."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def explain_os(error: OSError, where: str) -> str:
    """The same, for a file snn-feed itself creates beside the database (its folder, a lock)."""
    if error.errno == errno.ENOSPC:
        return _full(where)
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _read_only(where)
    return f"cannot use the database {where}: {error.strerror or error}"


def _no_room(where: str) -> bool:
    """Whether the disk holding the database file has less than a megabyte free."""
    try:
        return shutil.disk_usage(Path(where).parent).free < 1 << 20
    except OSError:
        return False


def _full(where: str) -> str:
    return (
        f"the disk holding the database {where} is full: free some space and run again "
        "(what this run did not record is done by the next one)"
    )


def _read_only(where: str) -> str:
    return (
        f"cannot write the database {where}: its file system is read-only or the file is not "
        "writable; remount it read-write or fix its permissions"
    )


def _integrity(where: str, message: str) -> str:
    """SQLite's own check of the file, run again for the message: its first finding."""
    path = Path(where)
    if not path.is_file():
        return message
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            finding = str(db.execute("PRAGMA quick_check").fetchone()[0])
    except sqlite3.Error as err:
        finding = str(err)
    if finding == "ok":
        return f"{message} (though SQLite's integrity check passes now)"
    return f"SQLite's integrity check failed ({finding})"
