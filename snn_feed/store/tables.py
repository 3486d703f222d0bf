"""The database tables (SQLAlchemy ORM). Only the store's repositories use these classes; what
they hand out are the plain records of `store.records`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from snn_feed.store.engine import UTCDateTime
from snn_feed.store.records import PaperState


class Base(DeclarativeBase):
    pass


class PaperRow(Base):
    __tablename__ = "papers"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    abstract: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON)
    primary_category: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(Text)
    code_url: Mapped[str | None] = mapped_column(Text)

    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    abstract_zh: Mapped[str | None] = mapped_column(Text)
    translation_engine: Mapped[str | None] = mapped_column(String(32))
    translate_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    translated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When Hugging Face was asked for the paper's repository (`[links]`): asked once only."""
    title_zh: Mapped[str | None] = mapped_column(Text)
    """The Chinese title (`[translate] titles`; None: never asked for, or not yet)."""


class TopicPaperRow(Base):
    """A paper in one topic: its score by the topic's weights, and where it stands towards the
    topic's log. A paper found by several topics is stored (and translated) once, and has a
    row here for each."""

    __tablename__ = "topic_papers"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True, default=PaperState.FETCHED)
    """fetched, translated (the paper is), written, committed, or skipped (below the topic's
    `min_score`)."""
    origin: Mapped[str] = mapped_column(String(16), default="sync", server_default="sync")
    """sync: logged under the month it was logged in; backfill: under its publication month;
    import: already in the log when it was imported."""
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    log_month: Mapped[str | None] = mapped_column(String(16))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    log_path: Mapped[str | None] = mapped_column(Text)
    """The log file a written or committed paper is in (None: not written yet)."""
    notice_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The digest that told of it (`[notify]`); 0: logged before notifications, or when no
    service wanted a digest; None: not told of yet."""
    summary_notice_id: Mapped[int | None] = mapped_column(Integer)
    """The digest that told of its summary, made after the paper's own digest (0: when no
    service wanted one); None: not told of, or made in time for the paper's digest."""


class TopicWindowRow(Base):
    """The end of the last search-API window a topic read to its end: its next window starts
    there (less the lookback), whatever the other topics read."""

    __tablename__ = "topic_windows"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LogEntryRow(Base):
    """An entry of a log that existed before snn-feed (see `snn-feed import`), kept as written."""

    __tablename__ = "log_entries"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The topic whose log it was imported from."""
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    """`id:<arXiv id>` or `title:<normalised title>`: what makes an entry the same entry."""
    arxiv_id: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    norm_title: Mapped[str] = mapped_column(Text, index=True)
    section: Mapped[str] = mapped_column(Text)
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


class SummaryRow(Base):
    """A paper's summary (`[summary]`) under one key: the abstract, model, prompt version and
    glossary version it was made from, so the same summary is never paid for twice. Without
    `tldr`, the answers so far were refused (`attempts`, `last_error`)."""

    __tablename__ = "summaries"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tldr: Mapped[str | None] = mapped_column(Text)
    points: Mapped[list[list[str]] | None] = mapped_column(JSON)
    """With `[summary] details`: [label, text] pairs (motivation, method, result)."""
    model: Mapped[str] = mapped_column(Text)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SummaryUsageRow(Base):
    """Tokens spent on summaries in one day of the log's time zone (`max_tokens_per_day`)."""

    __tablename__ = "summary_usage"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)


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


class FeedCheckRow(Base):
    """The last announcement feed read from a URL: its validators, for a conditional request
    next time (saved only after its papers are stored, so a crash never skips a day)."""

    __tablename__ = "feed_checks"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
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
    owner: Mapped[str | None] = mapped_column(Text)
    """The host and process that ran it."""
    lock_session: Mapped[str | None] = mapped_column(Text)
    """PostgreSQL: the session holding the database's command lock for it (`pid@start`); a
    run still running is crashed only once no such session holds the lock."""


class LogState(Base):
    """What snn-feed last wrote to a log file, recorded before the write: a log that differs
    from its last commit is snn-feed's own work only if its bytes hash to this."""

    __tablename__ = "log_state"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LogStyleRow(Base):
    """The entry style of a log (`hover`, `details`, `bilingual`), settled once: a new log's
    default, or what an adopted log's entries are in. `[log] style` overrides it."""

    __tablename__ = "log_styles"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    style: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    """new (a log without entries), detected (read from the log's entries), or default (its
    entries are in no style snn-feed writes)."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingChangeRow(Base):
    """One file of a step that changes several files of a log together (an archive, a
    restore), recorded before any of them is written: its bytes afterwards (none: removed)
    and the hash it had before, so the next run finishes the step after a crash."""

    __tablename__ = "pending_changes"

    log_path: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    """The order the files are written in."""
    path: Mapped[str] = mapped_column(Text)
    before_sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    message: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoticeRow(Base):
    """A message to the `[notify]` services, recorded before it is sent: a digest of the
    papers a sync logged, an alert, or the "recovered" that ends one."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    """digest, alert or recovered."""
    condition: Mapped[str | None] = mapped_column(String(32))
    """An alert's condition (sync, push, translator, pending, quiet)."""
    day: Mapped[str | None] = mapped_column(String(10))
    """A digest's day in the log's time zone (YYYY-MM-DD)."""
    message: Mapped[str | None] = mapped_column(Text)
    """An alert's text (a digest is rendered from its papers when it is sent)."""
    papers: Mapped[list[str] | None] = mapped_column(JSON)
    """A digest's papers (arXiv ids)."""
    topic: Mapped[str | None] = mapped_column(String(64))
    """A digest's topic."""
    late: Mapped[list[str] | None] = mapped_column(JSON)
    """A digest's papers told of before, whose summaries came after their digest."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """A notice owed to one service: sent once, or retried by later syncs until it is."""

    __tablename__ = "deliveries"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), primary_key=True)
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The service: a hash of its URL, which holds secrets and is never stored."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    """pending, sent, or dropped (not taken within `[notify] retry_hours`)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """A condition an alert was raised for and has not cleared yet: not alerted again."""

    __tablename__ = "alerts"

    condition: Mapped[str] = mapped_column(String(32), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
