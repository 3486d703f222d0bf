"""Read-only views of the papers for the reports: the Atom feed's latest entries, the web
site's every logged paper, `status` and its month table, and the papers a command names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select

from snn_feed.store.base import Repository, record
from snn_feed.store.papers import PLACED, stored
from snn_feed.store.records import ImportedEntry, PaperState, StoredPaper
from snn_feed.store.tables import LogEntryRow, PaperRow, TopicPaperRow


class PaperReports(Repository):
    """What one topic has (`Repository.topic`): its papers, scores and states."""

    def _joined(self) -> Select[PaperRow, TopicPaperRow]:
        return select(PaperRow, TopicPaperRow).join(
            TopicPaperRow,
            (TopicPaperRow.arxiv_id == PaperRow.arxiv_id) & (TopicPaperRow.topic == self.topic),
        )

    def papers(self, ids: Sequence[str] = (), since: datetime | None = None) -> list[StoredPaper]:
        with self.session() as s:
            query = self._joined().order_by(PaperRow.published, PaperRow.arxiv_id)
            if ids:
                query = query.where(PaperRow.arxiv_id.in_(list(ids)))
            if since is not None:
                query = query.where(PaperRow.published >= since)
            return [stored(p, t) for p, t in s.execute(query)]

    def logged(self, limit: int) -> list[StoredPaper]:
        """The `limit` papers most recently put in the log, newest first.

        Written and committed papers are in the log; those imported from a hand-made log carry
        no logging time and rank by their submission instead. A batch written together shares
        one time, so the newest submission comes first within it.
        """
        logged_at = func.coalesce(TopicPaperRow.written_at, PaperRow.published)
        with self.session() as s:
            query = (
                self._joined()
                .where(TopicPaperRow.state.in_(PLACED))
                .order_by(logged_at.desc(), PaperRow.published.desc(), PaperRow.arxiv_id.desc())
                .limit(limit)
            )
            return [stored(p, t) for p, t in s.execute(query)]

    def everything_logged(self) -> tuple[list[StoredPaper], list[ImportedEntry]]:
        """Every paper in the log (written or committed, oldest first) and every entry imported
        from a hand-made log (in the log's order), read in one transaction: what the web site
        shows. An imported entry may have no paper behind it (only a title and a section), or
        the same paper as a stored one."""
        in_log = TopicPaperRow.state.in_(PLACED)
        with self.session() as s, s.begin():
            papers = s.execute(
                self._joined().where(in_log).order_by(PaperRow.published, PaperRow.arxiv_id)
            )
            rows = [stored(p, t) for p, t in papers]
            entries = s.scalars(
                select(LogEntryRow)
                .where(LogEntryRow.topic == self.topic)
                .order_by(LogEntryRow.line, LogEntryRow.key)
            )
            return rows, [record(ImportedEntry, e) for e in entries]

    def training_set(self) -> list[tuple[str, str, str, bool]]:
        """(arXiv id, title, abstract, kept) of the papers the learned ranking learns from:
        the topic's papers in its log (kept), except those a backfill put in a month the
        hand-made log covers but did not list (not kept, as are those below `min_score`),
        and the papers only other topics have (not kept)."""
        with self.session() as s:
            sections = s.scalars(select(LogEntryRow.section).where(
                LogEntryRow.topic == self.topic).distinct())  # fmt: skip
            by_hand = {m for section in sections if (m := _month_of(section))}
            rows = s.execute(
                select(PaperRow.arxiv_id, PaperRow.title, PaperRow.abstract,
                       PaperRow.published, TopicPaperRow.state, TopicPaperRow.origin,
                       TopicPaperRow.log_month)
                .join(TopicPaperRow, TopicPaperRow.arxiv_id == PaperRow.arxiv_id)
                .where(TopicPaperRow.topic == self.topic)
            ).all()  # fmt: skip
            mine = select(TopicPaperRow.arxiv_id).where(TopicPaperRow.topic == self.topic)
            others = s.execute(
                select(PaperRow.arxiv_id, PaperRow.title, PaperRow.abstract)
                .where(PaperRow.arxiv_id.not_in(mine))
            ).all()  # fmt: skip
        out = []
        for arxiv_id, title, abstract, published, state, origin, log_month in rows:
            if state in PLACED:
                # The month it went under in the log (as the hand-made log's headings are in
                # the log's time zone), else its submission's.
                month = _month_of(log_month or "") or f"{published:%Y-%m}"
                unlisted = origin == "backfill" and month in by_hand
                out.append((arxiv_id, title, abstract, not unlisted))
            elif state == PaperState.SKIPPED:
                out.append((arxiv_id, title, abstract, False))
        out += [(arxiv_id, title, abstract, False) for arxiv_id, title, abstract in others]
        return out

    def stored_count(self) -> int:
        """Papers stored, each once whatever its topics."""
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(PaperRow)) or 0)

    def state_counts(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(
                select(TopicPaperRow.state, func.count())
                .where(TopicPaperRow.topic == self.topic)
                .group_by(TopicPaperRow.state)
            )
            counts = {state.value: 0 for state in PaperState}
            counts.update({state: int(n) for state, n in rows})
            return counts

    def score_counts(self, start: datetime, end: datetime) -> dict[tuple[int, str], int]:
        """Papers first submitted in [start, end), counted by (score, state)."""
        with self.session() as s:
            rows = s.execute(
                select(TopicPaperRow.score, TopicPaperRow.state, func.count())
                .join(PaperRow, PaperRow.arxiv_id == TopicPaperRow.arxiv_id)
                .where(TopicPaperRow.topic == self.topic, PaperRow.published >= start,
                       PaperRow.published < end)
                .group_by(TopicPaperRow.score, TopicPaperRow.state)
            )  # fmt: skip
            return {(int(score), str(state)): int(n) for score, state, n in rows}

    def scored_notes(
        self, start: datetime, end: datetime
    ) -> list[tuple[str | None, str | None, int]]:
        """(comment, journal ref, score) of the scored papers first submitted in [start, end)
        that have either: where `status --month` reads their venues."""
        with self.session() as s:
            rows = s.execute(
                select(PaperRow.comment, PaperRow.journal_ref, TopicPaperRow.score)
                .join(TopicPaperRow, TopicPaperRow.arxiv_id == PaperRow.arxiv_id)
                .where(
                    TopicPaperRow.topic == self.topic,
                    PaperRow.published >= start,
                    PaperRow.published < end,
                    TopicPaperRow.score > 0,
                    (PaperRow.comment.is_not(None)) | (PaperRow.journal_ref.is_not(None)),
                )
            )
            return [(comment, journal_ref, int(score)) for comment, journal_ref, score in rows]

    def waiting_for_translation(self) -> tuple[int, datetime | None, str | None]:
        """Papers still untranslated, in this topic: how many, since when the oldest waits, the
        last error."""
        with self.session() as s:
            waiting = PaperRow.arxiv_id.in_(
                select(TopicPaperRow.arxiv_id).where(
                    TopicPaperRow.topic == self.topic, TopicPaperRow.state == PaperState.FETCHED
                )
            )
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


def _month_of(section: str) -> str | None:
    """`2020-09` of a hand-made log's section heading (`2020.9`, `2020.7~8`, `2019.11.28`)."""
    import re

    match = re.search(r"(\d{4})\.(\d{1,2})", section)
    return f"{match[1]}-{int(match[2]):02d}" if match else None
