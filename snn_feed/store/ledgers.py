"""The caches and ledgers: translations already paid for, engines resting after a rate limit,
backfill windows fetched, the announcement feed's validators, the hash of what snn-feed
last wrote to each log, each log's entry style, and the files of a log a step has begun to
change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Executable, delete, func, select

from snn_feed.store.base import Repository, now, record
from snn_feed.store.records import FeedCheck, PendingChange
from snn_feed.store.tables import (
    EngineCooldown,
    FeedCheckRow,
    FetchedWindow,
    LogState,
    LogStyleRow,
    PendingChangeRow,
    TranslationRow,
)

_FEED_CHECK_VALUES = ["etag", "last_modified", "announced", "items", "checked_at"]


class Translations(Repository):
    """Every translation made, so that the same text is never paid for twice."""

    def cached(
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

    def remember(
        self, arxiv_id: str, abstract_sha: str, engine: str, version: str, text: str
    ) -> None:
        with self.session() as s, s.begin():
            s.execute(
                self.upsert(TranslationRow, update=["text", "created_at"]),
                {"arxiv_id": arxiv_id, "abstract_sha": abstract_sha, "engine": engine,
                 "glossary_version": version, "text": text, "created_at": now()},
            )  # fmt: skip


class Cooldowns(Repository):
    """Translation engines resting after a 429 or a used-up quota."""

    def cooling_down(self, engine: str) -> bool:
        with self.session() as s:
            row = s.get(EngineCooldown, engine)
            return row is not None and row.until > now()

    def cool_down(self, engine: str, until: datetime) -> None:
        with self.session() as s, s.begin():
            s.execute(
                self.upsert(EngineCooldown, update=["until"]), {"engine": engine, "until": until}
            )


class FetchedWindows(Repository):
    """Submission windows whose papers are all stored: a resumed backfill skips them."""

    def done(self, query_hash: str, start: datetime, end: datetime) -> bool:
        with self.session() as s:
            query = select(func.count()).where(
                FetchedWindow.query_hash == query_hash,
                FetchedWindow.start == start,
                FetchedWindow.end == end,
            )
            return bool(s.scalar(query.select_from(FetchedWindow)))

    def mark_done(self, query_hash: str, start: datetime, end: datetime, found: int) -> None:
        with self.session() as s, s.begin():
            s.execute(
                self.upsert(FetchedWindow, update=["found", "fetched_at"]),
                {"query_hash": query_hash, "start": start, "end": end, "found": found,
                 "fetched_at": now()},
            )  # fmt: skip


class FeedChecks(Repository):
    """The announcement feed's validators, saved only after its papers are stored."""

    def get(self, url: str) -> FeedCheck | None:
        with self.session() as s:
            row = s.get(FeedCheckRow, url)
            return record(FeedCheck, row) if row is not None else None

    def save(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        announced: datetime | None,
        items: int,
    ) -> None:
        with self.session() as s, s.begin():
            s.execute(
                self.upsert(FeedCheckRow, update=_FEED_CHECK_VALUES),
                {"url": url, "etag": etag, "last_modified": last_modified,
                 "announced": announced, "items": items, "checked_at": now()},
            )  # fmt: skip


class LogHashes(Repository):
    """What snn-feed last wrote to each log file."""

    def expected(self, path: str) -> str | None:
        with self.session() as s:
            row = s.get(LogState, path)
            return row.sha256 if row else None

    def expect(self, path: str, sha256: str) -> None:
        """Record the hash of the bytes about to be written (before writing: a crash between
        the two leaves a file that is either unchanged or recognisably ours)."""
        with self.session() as s, s.begin():
            s.execute(_log_hash(self, path, sha256, now()))


class LogStyles(Repository):
    """The entry style each log was found in or started with."""

    def get(self, path: str) -> tuple[str, str] | None:
        """(style, source) recorded for the log at `path`."""
        with self.session() as s:
            row = s.get(LogStyleRow, path)
            return (row.style, row.source) if row else None

    def settle(self, path: str, style: str, source: str) -> str:
        """Record `style` for the log unless one is recorded already; return the one that
        holds (two hosts settling the same new log agree on the first)."""
        with self.session() as s, s.begin():
            statement = self.upsert(LogStyleRow).values(
                path=path, style=style, source=source, recorded_at=now()
            )
            s.execute(statement)
            row = s.get(LogStyleRow, path)
            return row.style if row else style


class PendingChanges(Repository):
    """Steps that change several files of a log at once, recorded before the first write and
    cleared after the commit: what a crash in between leaves for the next run to finish."""

    def record(
        self, log_path: str, message: str, changes: Sequence[PendingChange], log_sha256: str
    ) -> None:
        """Record the step, and the log's new hash with it (one transaction: the log is
        recognised as snn-feed's own work from its first write on)."""
        with self.session() as s, s.begin():
            s.execute(delete(PendingChangeRow).where(PendingChangeRow.log_path == log_path))
            stamp = now()
            s.add_all(
                PendingChangeRow(
                    log_path=log_path, position=n, path=c.path, before_sha256=c.before_sha256,
                    data=c.data, message=message, recorded_at=stamp,
                )
                for n, c in enumerate(changes)
            )  # fmt: skip
            s.execute(_log_hash(self, log_path, log_sha256, stamp))

    def pending(self, log_path: str) -> tuple[str, list[PendingChange]] | None:
        """The unfinished step's commit message and files, in the order they are written."""
        with self.session() as s:
            rows = s.scalars(
                select(PendingChangeRow)
                .where(PendingChangeRow.log_path == log_path)
                .order_by(PendingChangeRow.position)
            ).all()
            if not rows:
                return None
            return rows[0].message, [record(PendingChange, row) for row in rows]

    def done(self, log_path: str) -> None:
        with self.session() as s, s.begin():
            s.execute(delete(PendingChangeRow).where(PendingChangeRow.log_path == log_path))


def _log_hash(repository: Repository, path: str, sha256: str, stamp: datetime) -> Executable:
    """The upsert of a log's expected hash."""
    statement = repository.upsert(LogState, update=["sha256", "written_at"])
    return statement.values(path=path, sha256=sha256, written_at=stamp)
