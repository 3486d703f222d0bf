"""Where papers and the state of runs are kept (SQLite or PostgreSQL).

All storage: papers with their pipeline state, and the record of each sync run.

A paper is stored once per versionless arXiv id. Its `state` moves forward only
(fetched -> translated -> written -> committed), and each move is committed in the same
transaction as the step's effect is recorded, so a run that stops anywhere is finished by the
next one without doing anything twice.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from snn_feed.records import Paper


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


class PaperState(enum.StrEnum):
    FETCHED = "fetched"
    TRANSLATED = "translated"
    WRITTEN = "written"
    COMMITTED = "committed"
    SKIPPED = "skipped"
    """Scored below `[feed] min_score`: kept for `status --month`, never translated or logged."""


class Base(DeclarativeBase):
    pass


class Placement(NamedTuple):
    """Where a paper stands towards the logs: what the sync reconciles with a log's entries."""

    arxiv_id: str
    title: str
    state: PaperState
    log_path: str | None


class PaperRow(Base):
    __tablename__ = "papers"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    abstract: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON)
    primary_category: Mapped[str] = mapped_column(String(64))
    published: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    score: Mapped[int] = mapped_column(Integer)
    code_url: Mapped[str | None] = mapped_column(String(255))

    state: Mapped[str] = mapped_column(String(16), index=True, default=PaperState.FETCHED)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    abstract_zh: Mapped[str | None] = mapped_column(Text)
    translation_engine: Mapped[str | None] = mapped_column(String(32))
    translate_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    translated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    log_month: Mapped[str | None] = mapped_column(String(16))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16), default="sync", server_default="sync")
    """sync: logged under the month it was logged in; backfill: under its publication month;
    import: already in the log when it was imported."""
    code_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When Hugging Face was asked for the paper's repository (`[links]`): asked once only."""
    log_path: Mapped[str | None] = mapped_column(Text)
    """The log file a written or committed paper is in (None: not written yet)."""


class LogEntryRow(Base):
    """An entry of a log that existed before snn-feed (see `snn-feed import`), kept as written."""

    __tablename__ = "log_entries"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    """`id:<arXiv id>` or `title:<normalised title>`: what makes an entry the same entry."""
    arxiv_id: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    norm_title: Mapped[str] = mapped_column(String(512), index=True)
    section: Mapped[str] = mapped_column(String(64))
    line: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(String(16))
    """linked (id in the entry), title (found by title search), unresolved, or matched (a
    fetched paper's title matched it)."""
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TranslationRow(Base):
    """Every translation made, so that the same text is never paid for twice."""

    __tablename__ = "translations"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    abstract_sha: Mapped[str] = mapped_column(String(64), primary_key=True)
    engine: Mapped[str] = mapped_column(String(32), primary_key=True)
    glossary_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    """The engine's answer, before the glossary's normalisation."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EngineCooldown(Base):
    """A translation engine that said "too many requests" or "quota used up": skipped until."""

    __tablename__ = "engine_cooldowns"

    engine: Mapped[str] = mapped_column(String(32), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class FetchedWindow(Base):
    """A submission window whose papers are all stored: a resumed backfill skips it."""

    __tablename__ = "fetched_windows"

    query_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    found: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedCheck(Base):
    """The last announcement feed read from a URL: its validators, for a conditional request
    next time (saved only after its papers are stored, so a crash never skips a day)."""

    __tablename__ = "feed_checks"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    announced: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items: Mapped[int] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    command: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    """running, done, partial or failed."""
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    found: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    translated: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    commit_sha: Mapped[str | None] = mapped_column(String(64))


class LogState(Base):
    """What snn-feed last wrote to a log file, recorded before the write: a log that differs
    from its last commit is snn-feed's own work only if its bytes hash to this."""

    __tablename__ = "log_state"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)


def now() -> datetime:
    return datetime.now(UTC)


def open_store(url: str, *, create: bool = True) -> Store:
    """Open the database at `url`, migrated to the newest schema.

    With `create=False` a missing SQLite file is not created: an empty in-memory database
    stands in for it (used by dry runs, which must leave no trace).
    """
    from snn_feed.store import migrate

    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        db_path = Path(url[len(prefix) :])
        if not create and not db_path.exists():
            url = "sqlite:///:memory:"
        else:
            db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    migrate.upgrade(engine)
    return Store(engine)


def make_engine(url: str) -> Engine:
    """An engine with SQLite set up for one writer and concurrent readers."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


class Store:
    """The one place that reads and writes the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    # -- papers ---------------------------------------------------------------------------

    def add_papers(
        self,
        scored: Iterable[tuple[Paper, int, str | None]],
        *,
        origin: str = "sync",
        logged: Mapping[str, str] | None = None,
        log: str | None = None,
        known_only: bool = False,
        min_score: int = 1,
    ) -> list[str]:
        """Store a batch of (paper, score, code URL) in one transaction; return the new ids.

        A paper already stored keeps its state: a newer version refreshes its metadata (but
        not its first submission date) and never sends it through translation or the log
        again. A new paper whose id is in `logged` (id -> log entry key) is already in the log
        `log`: it is stored as committed there, and an imported entry is linked to its id. With
        `known_only`
        (replacement announcements), papers not stored yet are left out. A new paper scoring
        below `min_score` is stored as skipped.
        """
        logged = logged or {}
        batch = list(scored)
        if not batch:
            return []
        ids = [p.arxiv_id for p, _, _ in batch]
        new: list[str] = []
        with self.session() as s, s.begin():
            known = {
                row.arxiv_id: row
                for row in s.scalars(select(PaperRow).where(PaperRow.arxiv_id.in_(ids)))
            }
            for paper, score, code in batch:
                row = known.get(paper.arxiv_id)
                if row is None and known_only:
                    continue
                if row is None:
                    entry_key = logged.get(paper.arxiv_id)
                    if entry_key:
                        state = PaperState.COMMITTED
                    elif score < min_score:
                        state = PaperState.SKIPPED
                    else:
                        state = PaperState.FETCHED
                    row = PaperRow(
                        arxiv_id=paper.arxiv_id,
                        state=state,
                        first_seen=now(),
                        translate_attempts=0,
                        origin="import" if entry_key else origin,
                        log_path=log if entry_key else None,
                    )
                    _copy_metadata(row, paper, score, code)
                    s.add(row)
                    known[paper.arxiv_id] = row
                    if entry_key:
                        entry = s.get(LogEntryRow, entry_key)
                        if entry is not None and entry.arxiv_id is None:
                            entry.arxiv_id, entry.resolution = paper.arxiv_id, "matched"
                    elif state == PaperState.FETCHED:
                        new.append(paper.arxiv_id)
                elif paper.version > row.version:
                    _refresh(row, paper, score, code)
                    if row.state == PaperState.SKIPPED and row.score >= min_score:
                        row.state = PaperState.FETCHED  # the new version is on topic enough
                        new.append(paper.arxiv_id)
                elif paper.version == row.version:
                    _complete(row, paper, code)
        return new

    def get(self, arxiv_id: str) -> PaperRow | None:
        with self.session() as s:
            return s.get(PaperRow, arxiv_id)

    def in_state(self, state: PaperState) -> list[PaperRow]:
        """Papers in `state`, oldest submission first."""
        with self.session() as s:
            query = (
                select(PaperRow)
                .where(PaperRow.state == state)
                .order_by(PaperRow.published, PaperRow.arxiv_id)
            )
            return list(s.scalars(query))

    def to_translate(self) -> list[PaperRow]:
        """Papers waiting for a translation, least-tried first: a paper the engine keeps
        rejecting must not hold back the ones behind it."""
        with self.session() as s:
            query = (
                select(PaperRow)
                .where(PaperRow.state == PaperState.FETCHED)
                .order_by(PaperRow.translate_attempts, PaperRow.published, PaperRow.arxiv_id)
            )
            return list(s.scalars(query))

    def save_translation(self, arxiv_id: str, text: str, engine: str) -> None:
        self.save_translations([(arxiv_id, text, engine)])

    def save_translations(self, translations: Iterable[tuple[str, str, str]]) -> None:
        """(arXiv id, text, engine) for papers waiting for translation, in one transaction."""
        rows = [{"id": i, "text": text, "engine": engine} for i, text, engine in translations]
        if not rows:
            return
        statement = (
            update(PaperRow)
            .where(PaperRow.arxiv_id == bindparam("id"), PaperRow.state == PaperState.FETCHED)
            .values(
                abstract_zh=bindparam("text"),
                translation_engine=bindparam("engine"),
                translated_at=now(),
                state=PaperState.TRANSLATED,
                last_error=None,
                translate_attempts=PaperRow.translate_attempts + 1,
            )
        )
        with self.engine.begin() as connection:  # one statement, executed for every row
            connection.execute(statement, rows)

    def record_translation_failure(self, arxiv_id: str, error: str) -> None:
        with self.session() as s, s.begin():
            s.execute(
                update(PaperRow)
                .where(PaperRow.arxiv_id == arxiv_id)
                .values(last_error=error, translate_attempts=PaperRow.translate_attempts + 1)
            )

    def _move(self, ids: Sequence[str], allowed: Sequence[PaperState], **values: Any) -> None:
        """Set `values` on those of `ids` that are in one of the `allowed` states."""
        if not ids:
            return
        with self.session() as s, s.begin():
            s.execute(
                update(PaperRow)
                .where(PaperRow.arxiv_id.in_(ids), PaperRow.state.in_(list(allowed)))
                .values(**values)
            )

    def mark_written(self, ids: Sequence[str], month: str | None, log: str) -> None:
        """Record papers as present in the log file `log` (`month` None: found there
        already, not written by snn-feed)."""
        self._move(
            ids, [PaperState.FETCHED, PaperState.TRANSLATED],
            state=PaperState.WRITTEN, written_at=now(), log_month=month, log_path=log,
        )  # fmt: skip

    def claim_unplaced(self, log: str) -> None:
        """Written and committed papers recorded before the database knew logs apart belong
        to `log`, the configured one (what migration 0008 leaves for the first sync)."""
        with self.session() as s, s.begin():
            s.execute(
                update(PaperRow)
                .where(PaperRow.state.in_([PaperState.WRITTEN, PaperState.COMMITTED]))
                .where(PaperRow.log_path.is_(None))
                .values(log_path=log)
            )

    def placements(self) -> list[Placement]:
        """Every paper that is or may soon be in a log: waiting, written or committed."""
        states = [PaperState.FETCHED, PaperState.TRANSLATED, PaperState.WRITTEN,
                  PaperState.COMMITTED]  # fmt: skip
        with self.session() as s:
            rows = s.execute(
                select(PaperRow.arxiv_id, PaperRow.title, PaperRow.state, PaperRow.log_path).where(
                    PaperRow.state.in_(states)
                )
            )
            return [Placement(i, t, PaperState(st), lp) for i, t, st, lp in rows]

    def requeue(self, ids: Sequence[str]) -> None:
        """Papers recorded in a log that does not hold them (another log, or entries since
        removed): back in line to be written, translated first if they never were."""
        placed = [PaperState.WRITTEN, PaperState.COMMITTED]
        cleared = {"written_at": None, "log_month": None, "committed_at": None,
                   "commit_sha": None, "log_path": None}  # fmt: skip
        if not ids:
            return
        base = update(PaperRow).where(PaperRow.arxiv_id.in_(ids), PaperRow.state.in_(placed))
        with self.session() as s, s.begin():
            s.execute(
                base.where(PaperRow.translation_engine.is_not(None)).values(
                    state=PaperState.TRANSLATED, **cleared
                )
            )
            s.execute(
                base.where(PaperRow.translation_engine.is_(None)).values(
                    state=PaperState.FETCHED, translate_attempts=0, **cleared
                )
            )

    def unwrite(self, ids: Sequence[str]) -> None:
        """Papers marked written whose lines never reached a commit: write them again."""
        self._move(
            ids, [PaperState.WRITTEN],
            state=PaperState.TRANSLATED, written_at=None, log_month=None, log_path=None,
        )  # fmt: skip

    def mark_committed(self, ids: Sequence[str], sha: str | None) -> None:
        self._move(
            ids, [PaperState.WRITTEN],
            state=PaperState.COMMITTED, committed_at=now(), commit_sha=sha,
        )  # fmt: skip

    def logged_papers(self, limit: int) -> list[PaperRow]:
        """The `limit` papers most recently put in the log, newest first.

        Written and committed papers are in the log; those imported from a hand-made log carry
        no logging time and rank by their submission instead. A batch written together shares
        one time, so the newest submission comes first within it.
        """
        logged_at = func.coalesce(PaperRow.written_at, PaperRow.published)
        with self.session() as s:
            query = (
                select(PaperRow)
                .where(PaperRow.state.in_([PaperState.WRITTEN, PaperState.COMMITTED]))
                .order_by(logged_at.desc(), PaperRow.published.desc(), PaperRow.arxiv_id.desc())
                .limit(limit)
            )
            return list(s.scalars(query))

    def needing_code_link(self) -> list[str]:
        """Papers not yet in the log that have no code link and were never looked up for one,
        oldest first: a link found for a paper already written would have to rewrite the log,
        which is append-only."""
        with self.session() as s:
            query = (
                select(PaperRow.arxiv_id)
                .where(
                    PaperRow.state.in_([PaperState.FETCHED, PaperState.TRANSLATED]),
                    PaperRow.code_url.is_(None),
                    PaperRow.code_checked_at.is_(None),
                )
                .order_by(PaperRow.first_seen, PaperRow.arxiv_id)
            )
            return list(s.scalars(query))

    def save_code_link(self, arxiv_id: str, url: str | None) -> None:
        """Record a lookup (so the paper is never asked about again) and the link it found, if
        the paper is still unwritten and has none."""
        with self.session() as s, s.begin():
            row = s.get(PaperRow, arxiv_id)
            if row is None:
                return
            row.code_checked_at = now()
            if url and row.code_url is None and row.state in (
                PaperState.FETCHED, PaperState.TRANSLATED,
            ):  # fmt: skip
                row.code_url = url

    def count_unwritten(self) -> int:
        with self.session() as s:
            query = select(func.count()).where(
                PaperRow.state.in_([PaperState.FETCHED, PaperState.TRANSLATED])
            )
            return int(s.scalar(query.select_from(PaperRow)) or 0)

    # -- entries of a log that existed before snn-feed -------------------------------------

    def save_log_entry(
        self,
        key: str,
        *,
        arxiv_id: str | None,
        title: str,
        norm_title: str,
        section: str,
        line: int,
        text: str,
        resolution: str,
    ) -> bool:
        """Record an imported entry; False when it was recorded already (import is idempotent:
        what is known is kept, only a missing arXiv id may be filled in)."""  # fmt: skip
        with self.session() as s, s.begin():
            row = s.get(LogEntryRow, key)
            if row is not None:
                if row.arxiv_id is None and arxiv_id is not None:
                    row.arxiv_id, row.resolution = arxiv_id, resolution
                return False
            s.add(
                LogEntryRow(
                    key=key, arxiv_id=arxiv_id, title=title, norm_title=norm_title,
                    section=section, line=line, text=text, resolution=resolution,
                    imported_at=now(),
                )
            )  # fmt: skip
            return True

    def log_entries(self) -> list[LogEntryRow]:
        with self.session() as s:
            return list(s.scalars(select(LogEntryRow).order_by(LogEntryRow.line)))

    def logged_ids(self) -> dict[str, str]:
        """arXiv ids of imported entries -> their entry key."""
        with self.session() as s:
            rows = s.execute(
                select(LogEntryRow.arxiv_id, LogEntryRow.key).where(
                    LogEntryRow.arxiv_id.is_not(None)
                )
            )
            return {arxiv_id: key for arxiv_id, key in rows if arxiv_id}

    def unresolved_titles(self) -> dict[str, str]:
        """Normalised titles of imported entries without an arXiv id -> their entry key."""
        with self.session() as s:
            rows = s.execute(
                select(LogEntryRow.norm_title, LogEntryRow.key).where(
                    LogEntryRow.arxiv_id.is_(None)
                )
            )
            return {title: key for title, key in rows}

    # -- the translation cache ------------------------------------------------------------

    def cached_translation(
        self, arxiv_id: str, abstract_sha: str, engines: Sequence[str], version: str
    ) -> tuple[str, str] | None:
        """(engine, text) of a stored translation by the first of `engines` that has one."""
        with self.session() as s:
            rows = {
                row.engine: row.text
                for row in s.scalars(
                    select(TranslationRow).where(
                        TranslationRow.arxiv_id == arxiv_id,
                        TranslationRow.abstract_sha == abstract_sha,
                        TranslationRow.glossary_version == version,
                        TranslationRow.engine.in_(list(engines)),
                    )
                )
            }
        return next(((e, rows[e]) for e in engines if e in rows), None)

    def cache_translation(
        self, arxiv_id: str, abstract_sha: str, engine: str, version: str, text: str
    ) -> None:
        with self.session() as s, s.begin():
            s.merge(
                TranslationRow(
                    arxiv_id=arxiv_id, abstract_sha=abstract_sha, engine=engine,
                    glossary_version=version, text=text, created_at=now(),
                )
            )  # fmt: skip

    def set_translation(self, arxiv_id: str, text: str, engine: str) -> None:
        """Replace a paper's translation whatever its state (retranslate): a paper not yet
        written moves on to be written; a written one keeps its log entry as it is."""
        with self.session() as s, s.begin():
            row = s.get(PaperRow, arxiv_id)
            if row is None:
                return
            row.abstract_zh, row.translation_engine, row.translated_at = text, engine, now()
            row.last_error = None
            if row.state == PaperState.FETCHED:
                row.state = PaperState.TRANSLATED

    def papers(self, ids: Sequence[str] = (), since: datetime | None = None) -> list[PaperRow]:
        with self.session() as s:
            query = select(PaperRow).order_by(PaperRow.published, PaperRow.arxiv_id)
            if ids:
                query = query.where(PaperRow.arxiv_id.in_(list(ids)))
            if since is not None:
                query = query.where(PaperRow.published >= since)
            return list(s.scalars(query))

    # -- translation engines resting after a 429 or a used-up quota --------------------------

    def cooling_down(self, engine: str) -> bool:
        with self.session() as s:
            row = s.get(EngineCooldown, engine)
            return row is not None and row.until > now()

    def cool_down(self, engine: str, until: datetime) -> None:
        with self.session() as s, s.begin():
            s.merge(EngineCooldown(engine=engine, until=until))

    # -- backfill windows ----------------------------------------------------------------

    def window_done(self, query_hash: str, start: datetime, end: datetime) -> bool:
        with self.session() as s:
            query = select(func.count()).where(
                FetchedWindow.query_hash == query_hash,
                FetchedWindow.start == start,
                FetchedWindow.end == end,
            )
            return bool(s.scalar(query.select_from(FetchedWindow)))

    def mark_window_done(self, query_hash: str, start: datetime, end: datetime, found: int) -> None:
        with self.session() as s, s.begin():
            s.merge(FetchedWindow(query_hash=query_hash, start=start, end=end, found=found,
                                  fetched_at=now()))  # fmt: skip

    # -- the log file --------------------------------------------------------------------

    def feed_check(self, url: str) -> FeedCheck | None:
        with self.session() as s:
            return s.get(FeedCheck, url)

    def save_feed_check(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        announced: datetime | None,
        items: int,
    ) -> None:
        with self.session() as s, s.begin():
            s.merge(
                FeedCheck(
                    url=url, etag=etag, last_modified=last_modified, announced=announced,
                    items=items, checked_at=now(),
                )
            )  # fmt: skip

    def expected_log_hash(self, path: str) -> str | None:
        with self.session() as s:
            row = s.get(LogState, path)
            return row.sha256 if row else None

    def expect_log_hash(self, path: str, sha256: str) -> None:
        """Record the hash of the bytes about to be written (before writing: a crash between
        the two leaves a file that is either unchanged or recognisably ours)."""
        with self.session() as s, s.begin():
            s.merge(LogState(path=path, sha256=sha256, written_at=now()))

    # -- runs -----------------------------------------------------------------------------

    def close_crashed_runs(self) -> int:
        """Runs still marked running when a new one starts under the lock died (killed, power
        cut): record them as crashed, so that status does not show them as in progress."""
        with self.session() as s, s.begin():
            result = s.execute(
                update(SyncRun)
                .where(SyncRun.outcome == "running")
                .values(
                    outcome="crashed",
                    error="the process ended without finishing",
                    finished_at=now(),
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def start_run(self, command: str) -> int:
        with self.session() as s, s.begin():
            run = SyncRun(command=command, started_at=now(), outcome="running")
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, outcome: str, **values: Any) -> None:
        with self.session() as s, s.begin():
            s.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(outcome=outcome, finished_at=now(), **values)
            )

    def runs(self, *, since: datetime | None = None, limit: int | None = None) -> list[SyncRun]:
        """Runs, newest first."""
        with self.session() as s:
            query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            if since is not None:
                query = query.where(SyncRun.started_at >= since)
            if limit is not None:
                query = query.limit(limit)
            return list(s.scalars(query))

    def last_success(self) -> SyncRun | None:
        with self.session() as s:
            query = (
                select(SyncRun)
                .where(SyncRun.outcome.in_(["done", "partial"]))
                .order_by(SyncRun.finished_at.desc())
                .limit(1)
            )
            return s.scalar(query)

    def last_commit(self) -> SyncRun | None:
        """The last run that made a commit."""
        with self.session() as s:
            query = (
                select(SyncRun)
                .where(SyncRun.commit_sha.is_not(None))
                .order_by(SyncRun.finished_at.desc())
                .limit(1)
            )
            return s.scalar(query)

    def state_counts(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(select(PaperRow.state, func.count()).group_by(PaperRow.state))
            counts = {state.value: 0 for state in PaperState}
            counts.update({state: int(n) for state, n in rows})
            return counts

    def score_counts(self, start: datetime, end: datetime) -> dict[tuple[int, str], int]:
        """Papers first submitted in [start, end), counted by (score, state)."""
        with self.session() as s:
            rows = s.execute(
                select(PaperRow.score, PaperRow.state, func.count())
                .where(PaperRow.published >= start, PaperRow.published < end)
                .group_by(PaperRow.score, PaperRow.state)
            )
            return {(int(score), str(state)): int(n) for score, state, n in rows}

    def waiting_for_translation(self) -> tuple[int, datetime | None, str | None]:
        """Papers still untranslated: how many, since when the oldest waits, the last error."""
        with self.session() as s:
            waiting = PaperRow.state == PaperState.FETCHED
            count, oldest = s.execute(
                select(func.count(), func.min(PaperRow.first_seen)).where(waiting)
            ).one()
            error = s.scalar(
                select(PaperRow.last_error)
                .where(waiting, PaperRow.last_error.is_not(None))
                .order_by(PaperRow.first_seen.desc())
                .limit(1)
            )
            return int(count), oldest, error

    def last_successful_window_end(self) -> datetime | None:
        """End of the submission window of the last sync that read it to the end (its papers
        are stored, even if that run failed later)."""
        with self.session() as s:
            query = (
                select(SyncRun.window_end)
                .where(SyncRun.window_end.is_not(None))
                .order_by(SyncRun.window_end.desc())
                .limit(1)
            )
            return s.scalar(query)


def _refresh(row: PaperRow, paper: Paper, score: int, code: str | None) -> None:
    """A newer version's metadata, keeping what the row had and the new record lacks: the
    first submission date, and the comment, journal ref, DOI and code link that an
    announcement-feed item does not carry; a version that lost the keywords keeps its score."""
    kept = row.published, row.comment, row.journal_ref, row.doi, row.code_url
    _copy_metadata(row, paper, score or row.score, code or kept[4])
    row.published = min(kept[0], paper.published)
    row.comment = paper.comment or kept[1]
    row.journal_ref = paper.journal_ref or kept[2]
    row.doi = paper.doi or kept[3]


def _complete(row: PaperRow, paper: Paper, code: str | None) -> None:
    """The same version seen by the other source: fill in what the first one lacked (an
    announcement gives the announcement time as its date, and no comment, where the search API
    has the submission time and the comment, often with the code link)."""
    row.published = min(row.published, paper.published)
    row.comment = row.comment or paper.comment
    row.journal_ref = row.journal_ref or paper.journal_ref
    row.doi = row.doi or paper.doi
    if row.code_url is None and row.state in (PaperState.FETCHED, PaperState.TRANSLATED):
        row.code_url = code  # only for entries not written yet: the log is append-only


def _copy_metadata(row: PaperRow, paper: Paper, score: int, code: str | None) -> None:
    row.version = paper.version
    row.title = paper.title
    row.authors = list(paper.authors)
    row.abstract = paper.abstract
    row.categories = list(paper.categories)
    row.primary_category = paper.primary_category
    row.published = paper.published
    row.updated = paper.updated
    row.comment = paper.comment
    row.journal_ref = paper.journal_ref
    row.doi = paper.doi
    row.score = score
    row.code_url = code
