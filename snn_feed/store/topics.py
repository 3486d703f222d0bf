"""What the database holds of each topic as a whole: the end of the search window it last
read, the topics it has papers for, and a topic's rename."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from snn_feed.store.base import Repository, now
from snn_feed.store.papers import PLACED
from snn_feed.store.tables import LogEntryRow, NoticeRow, TopicPaperRow, TopicWindowRow


class Topics(Repository):
    def window_end(self) -> datetime | None:
        """End of the last search-API window this topic read to its end (its papers are
        stored, even if that run failed later)."""
        with self.session() as s:
            row = s.get(TopicWindowRow, self.topic)
            return row.window_end if row is not None else None

    def record_window(self, end: datetime) -> None:
        """This topic's window is read up to `end`: its next one starts there."""
        with self.session() as s, s.begin():
            s.execute(
                self.upsert(TopicWindowRow, update=["window_end", "updated_at"]),
                {"topic": self.topic, "window_end": end, "updated_at": now()},
            )

    def known(self) -> dict[str, int]:
        """Every topic the database has papers for -> how many (skipped ones included)."""
        with self.session() as s:
            rows = s.execute(
                select(TopicPaperRow.topic, func.count()).group_by(TopicPaperRow.topic)
            )
            return {topic: int(n) for topic, n in rows}

    def has_state(self, name: str | None = None) -> bool:
        """Whether the topic `name` (default: this one) has papers or a window recorded."""
        name = name or self.topic
        with self.session() as s:
            papers = s.scalar(select(TopicPaperRow.arxiv_id).where(
                TopicPaperRow.topic == name).limit(1))  # fmt: skip
            return papers is not None or s.get(TopicWindowRow, name) is not None

    def has_logged(self) -> bool:
        """Whether a paper of this topic is in its log (written or committed)."""
        with self.session() as s:
            found = s.scalar(select(TopicPaperRow.arxiv_id).where(
                TopicPaperRow.topic == self.topic,
                TopicPaperRow.state.in_(PLACED)).limit(1))  # fmt: skip
            return found is not None

    def take_over(self, old: str) -> bool:
        """Rename the topic `old` to this one, with its papers, window, imported entries and
        digests, when this one has nothing yet (else nothing is done: two topics' states are
        never merged). Returns whether it was done."""
        if old == self.topic or self.has_state() or not self.has_state(old):
            return False
        with self.session() as s, s.begin():
            for table in (TopicPaperRow, TopicWindowRow, LogEntryRow, NoticeRow):
                s.execute(update(table).where(table.topic == old).values(topic=self.topic))
        return True
