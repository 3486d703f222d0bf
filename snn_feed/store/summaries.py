"""Summaries (`[summary]`): each paper's, under the key it was made with, the papers waiting
for one, and the tokens spent per day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from snn_feed.store.base import Repository
from snn_feed.store.records import PaperState, Summary
from snn_feed.store.tables import PaperRow, SummaryRow, SummaryUsageRow, TopicPaperRow


class Summaries(Repository):
    def of(self, ids: Sequence[str]) -> dict[str, Summary]:
        """The newest summary made of each of `ids` that has one, whatever its key: a summary
        made under an older prompt still reads well while its successor waits."""
        found: dict[str, Summary] = {}
        with self.session() as s:
            for start in range(0, len(ids), 500):  # within any database's parameter limit
                rows = s.scalars(
                    select(SummaryRow)
                    .where(SummaryRow.arxiv_id.in_(list(ids[start : start + 500])),
                           SummaryRow.tldr.is_not(None))
                    .order_by(SummaryRow.made_at)
                )  # fmt: skip
                for row in rows:  # oldest first: the newest stays
                    found[row.arxiv_id] = _summary(row)
        return found

    def candidates(self, since: datetime) -> list[tuple[str, str, str]]:
        """(arXiv id, title, abstract) of the papers first submitted at `since` or later that
        some topic keeps (not below its `min_score`), newest first. By submission, not by when
        they were found: a backfill of past years brings no summaries to make."""
        kept = select(TopicPaperRow.arxiv_id).where(TopicPaperRow.state != PaperState.SKIPPED)
        with self.session() as s:
            rows = s.execute(
                select(PaperRow.arxiv_id, PaperRow.title, PaperRow.abstract)
                .where(PaperRow.published >= since, PaperRow.arxiv_id.in_(kept))
                .order_by(PaperRow.published.desc(), PaperRow.arxiv_id.desc())
            )
            return [(r[0], r[1], r[2]) for r in rows]

    def settled(self, keys: dict[str, str], attempts: int) -> set[str]:
        """Which of `keys` (arXiv id -> the key its summary would be made under) need no
        request: made under that key, or refused `attempts` times under it."""
        done: set[str] = set()
        ids = list(keys)
        with self.session() as s:
            for start in range(0, len(ids), 500):
                rows = s.execute(
                    select(SummaryRow.arxiv_id, SummaryRow.key, SummaryRow.tldr,
                           SummaryRow.attempts)
                    .where(SummaryRow.arxiv_id.in_(ids[start : start + 500]))
                )  # fmt: skip
                for arxiv_id, key, tldr, tried in rows:
                    if keys[arxiv_id] == key and (tldr is not None or tried >= attempts):
                        done.add(arxiv_id)
        return done

    def save(
        self, arxiv_id: str, key: str, summary: Summary, model: str, tokens: int, at: datetime
    ) -> None:
        values = {"tldr": summary.tldr, "points": [list(p) for p in summary.points],
                  "model": model, "tokens": tokens, "last_error": None, "made_at": at,
                  "updated_at": at}  # fmt: skip
        with self.session() as s, s.begin():
            s.execute(self.upsert(SummaryRow, update=list(values)),
                      [{"arxiv_id": arxiv_id, "key": key, "attempts": 1, **values}])  # fmt: skip

    def refuse(
        self, arxiv_id: str, key: str, error: str, model: str, tokens: int, at: datetime
    ) -> None:
        """An answer that was no summary (or no answer): one attempt more under `key`."""
        with self.session() as s, s.begin():
            row = s.get(SummaryRow, (arxiv_id, key))
            if row is None:
                s.add(SummaryRow(arxiv_id=arxiv_id, key=key, model=model, tokens=tokens,
                                 attempts=1, last_error=error, updated_at=at))  # fmt: skip
            elif row.tldr is None:
                row.attempts += 1
                row.tokens += tokens
                row.last_error, row.updated_at = error, at

    def spend(self, day: str, tokens: int) -> None:
        """Count one request's tokens against `day`."""
        with self.session() as s, s.begin():
            s.execute(self.upsert(SummaryUsageRow), [{"day": day, "tokens": 0, "requests": 0}])
            s.execute(  # in the database, not read and written back: hosts may share a day
                update(SummaryUsageRow)
                .where(SummaryUsageRow.day == day)
                .values(tokens=SummaryUsageRow.tokens + tokens,
                        requests=SummaryUsageRow.requests + 1)
            )  # fmt: skip

    def spent(self, day: str) -> int:
        """Tokens counted against `day` so far."""
        with self.session() as s:
            return int(s.scalar(select(SummaryUsageRow.tokens).where(
                SummaryUsageRow.day == day)) or 0)  # fmt: skip

    def per_request(self) -> int:
        """Tokens a request cost on average, over the last days recorded (0: none yet)."""
        with self.session() as s:
            rows = s.execute(select(SummaryUsageRow.tokens, SummaryUsageRow.requests)
                             .order_by(SummaryUsageRow.day.desc()).limit(7)).all()  # fmt: skip
        requests = sum(r for _, r in rows)
        return sum(t for t, _ in rows) // requests if requests else 0

    def counts(self, attempts: int) -> dict[str, int]:
        """Papers with a summary, and papers given up (refused `attempts` times under a key,
        with no summary made under any)."""
        made = select(SummaryRow.arxiv_id).where(SummaryRow.tldr.is_not(None))
        with self.session() as s:
            summarised = s.scalar(select(func.count(func.distinct(SummaryRow.arxiv_id))).where(
                SummaryRow.tldr.is_not(None))) or 0  # fmt: skip
            refused = s.scalar(select(func.count(func.distinct(SummaryRow.arxiv_id))).where(
                SummaryRow.attempts >= attempts, SummaryRow.tldr.is_(None),
                SummaryRow.arxiv_id.not_in(made))) or 0  # fmt: skip
        return {"summarised": int(summarised), "refused": int(refused)}


def _summary(row: SummaryRow) -> Summary:
    points = tuple((str(p[0]), str(p[1])) for p in row.points or [] if len(p) == 2)
    return Summary(row.tldr or "", points, row.made_at)
