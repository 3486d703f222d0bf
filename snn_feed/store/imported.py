"""Entries of a log that existed before snn-feed, recorded by `snn-feed import` as written,
each under the topic whose log it is."""

from __future__ import annotations

from sqlalchemy import select, update

from snn_feed.store.base import Repository, now, record
from snn_feed.store.records import ImportedEntry
from snn_feed.store.tables import LogEntryRow


class ImportedEntries(Repository):
    def save(
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
        values = {"topic": self.topic, "key": key, "arxiv_id": arxiv_id, "title": title,
                  "norm_title": norm_title, "section": section, "line": line, "text": text,
                  "resolution": resolution, "imported_at": now()}  # fmt: skip
        with self.session() as s, s.begin():
            # Inserted unless there (one statement: two imports at once never collide).
            statement = self.upsert(LogEntryRow).returning(LogEntryRow.key)
            if s.execute(statement, values).first() is not None:
                return True
            if arxiv_id is not None:
                s.execute(
                    update(LogEntryRow)
                    .where(
                        LogEntryRow.topic == self.topic,
                        LogEntryRow.key == key,
                        LogEntryRow.arxiv_id.is_(None),
                    )
                    .values(arxiv_id=arxiv_id, resolution=resolution)
                )
            return False

    def all(self) -> list[ImportedEntry]:
        with self.session() as s:
            rows = s.scalars(
                select(LogEntryRow)
                .where(LogEntryRow.topic == self.topic)
                .order_by(LogEntryRow.line)
            )
            return [record(ImportedEntry, r) for r in rows]

    def ids(self) -> dict[str, str]:
        """arXiv ids of imported entries -> their entry key."""
        with self.session() as s:
            rows = s.execute(
                select(LogEntryRow.arxiv_id, LogEntryRow.key).where(
                    LogEntryRow.topic == self.topic, LogEntryRow.arxiv_id.is_not(None)
                )
            )
            return {arxiv_id: key for arxiv_id, key in rows if arxiv_id}

    def unresolved_titles(self) -> dict[str, str]:
        """Normalised titles of imported entries without an arXiv id -> their entry key."""
        with self.session() as s:
            rows = s.execute(
                select(LogEntryRow.norm_title, LogEntryRow.key).where(
                    LogEntryRow.topic == self.topic, LogEntryRow.arxiv_id.is_(None)
                )
            )
            return {title: key for title, key in rows}
