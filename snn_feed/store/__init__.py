"""Where papers and the state of runs are kept (SQLite or PostgreSQL).

`Store` is a small facade over one repository per kind of record (papers and their state,
runs, imported entries, the caches and ledgers); each hands out the plain records of
`store.records`. The tables are in `store.tables`, the dialect-specific code in `store.engine`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from snn_feed.errors import DatabaseError
from snn_feed.records import DEFAULT_TOPIC
from snn_feed.store.engine import explain_os, make_engine
from snn_feed.store.imported import ImportedEntries
from snn_feed.store.ledgers import (
    Cooldowns,
    FeedChecks,
    FetchedWindows,
    LogHashes,
    LogStyles,
    PendingChanges,
    Translations,
)
from snn_feed.store.notices import Notices
from snn_feed.store.papers import Papers
from snn_feed.store.records import (
    Delivery,
    FeedCheck,
    ImportedEntry,
    PaperState,
    PendingChange,
    Placement,
    Run,
    StoredPaper,
    Summary,
)
from snn_feed.store.reports import PaperReports
from snn_feed.store.runs import Runs
from snn_feed.store.summaries import Summaries
from snn_feed.store.topics import Topics

__all__ = [
    "DEFAULT_TOPIC", "Delivery", "FeedCheck", "ImportedEntry", "PaperState", "PendingChange",
    "Placement", "Run", "Store", "StoredPaper", "Summary", "make_engine", "open_store",
]  # fmt: skip


def open_store(url: str, *, create: bool = True) -> Store:
    """Open the database at `url`, migrated to the newest schema.

    With `create=False` a missing SQLite file is not created: an empty in-memory database
    stands in for it (used by dry runs, which must leave no trace). Whatever is wrong with the
    database (a full disk, a read-only file system, a damaged file, a newer schema, a missing
    table) is a one-line `DatabaseError`, here or at the first statement that meets it.
    """
    from snn_feed.startup import resume_gc
    from snn_feed.store import migrate
    from snn_feed.store.tables import Base

    resume_gc()  # every module a command needs is loaded by now (snn_feed/startup.py)

    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        db_path = Path(url[len(prefix) :])
        if not create and not db_path.exists():
            url = "sqlite:///:memory:"
        else:
            try:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise DatabaseError(explain_os(err, str(db_path)), where=str(db_path)) from err
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        migrate.check_tables(engine, Base.metadata.tables)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)


class Store:
    """The one place that reads and writes the database: a repository per kind of record,
    each handing out plain records (`store.records`), never ORM objects. A store is one
    topic's view (`topic`): `for_topic` gives another's, on the same connections."""

    def __init__(
        self,
        engine: Engine,
        topic: str = DEFAULT_TOPIC,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self.engine = engine
        self.topic = topic
        sessions = sessions or sessionmaker(engine, expire_on_commit=False)
        self._sessions = sessions
        self.papers = Papers(engine, sessions, topic)
        self.reports = PaperReports(engine, sessions, topic)
        self.topics = Topics(engine, sessions, topic)
        self.runs = Runs(engine, sessions)
        self.imported = ImportedEntries(engine, sessions, topic)
        self.translations = Translations(engine, sessions)
        self.cooldowns = Cooldowns(engine, sessions)
        self.windows = FetchedWindows(engine, sessions)
        self.feeds = FeedChecks(engine, sessions)
        self.log_hashes = LogHashes(engine, sessions)
        self.pending = PendingChanges(engine, sessions)
        self.log_styles = LogStyles(engine, sessions)
        self.notices = Notices(engine, sessions, topic)
        self.summaries = Summaries(engine, sessions)

    def for_topic(self, topic: str) -> Store:
        """The same database, seen as the topic `topic` has it."""
        return self if topic == self.topic else Store(self.engine, topic, self._sessions)

    def session(self) -> Session:
        """A session on the tables themselves: for migrations' and tests' set-up only."""
        return self._sessions()
